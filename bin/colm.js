#!/usr/bin/env node
// The `colm` command. Runs the compiled CLI (npm run build) from dist/.
import { main } from '../dist/app/cli/main.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
