#!/usr/bin/env node
// The `colm` command. Runs the compiled CLI (npm run build) from dist/.
import { main } from '../dist/app/cli/main.js';
import { endQuietlyWhenPipeCloses } from '../dist/app/cli/stdout.js';

// `colm logits ... | head`: the reader leaving early ends us quietly, for every command.
endQuietlyWhenPipeCloses();
const code = await main(process.argv.slice(2));
process.exitCode = code;
