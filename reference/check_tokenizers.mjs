// Loads every fixture's tokenizer.json (folder) or colm.tokenizer (single file) with the npm package
// @huggingface/tokenizers, checks that text round-trips and that merges and special tokens work,
// and renders the chat templates with @huggingface/jinja.
//
//   cd /work/main && node reference/check_tokenizers.mjs
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer } from "@huggingface/tokenizers";
import { Template } from "@huggingface/jinja";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const goldenDir = path.join(root, "test/fixtures/golden");
const texts = [
  "Hello world, the cat and the hat is on the mat.",
  "naïve café 😀 日本",
  "  two leading spaces\nand a newline\ttab",
  "The end!",
];
let failures = 0;
const fail = (msg) => { failures++; console.log(`  FAIL ${msg}`); };

function readParts(modelPath) {
  if (fs.statSync(modelPath).isDirectory()) {
    const opt = (f) => (fs.existsSync(path.join(modelPath, f)) ? fs.readFileSync(path.join(modelPath, f), "utf8") : null);
    return { tokenizer: opt("tokenizer.json"), tokenizerConfig: opt("tokenizer_config.json"), config: opt("config.json") };
  }
  const buf = fs.readFileSync(modelPath);
  const n = Number(buf.readBigUInt64LE(0));
  const meta = JSON.parse(buf.subarray(8, 8 + n).toString("utf8")).__metadata__;
  return { tokenizer: meta["colm.tokenizer"], tokenizerConfig: meta["colm.tokenizer_config"] ?? null, config: meta["colm.config"] };
}

for (const g of fs.readdirSync(goldenDir).filter((f) => f.endsWith(".json")).sort()) {
  const golden = JSON.parse(fs.readFileSync(path.join(goldenDir, g), "utf8"));
  const parts = readParts(path.join(root, golden.model));
  const tokJson = JSON.parse(parts.tokenizer);
  const tokCfg = parts.tokenizerConfig ? JSON.parse(parts.tokenizerConfig) : {};
  const config = JSON.parse(parts.config);
  const tok = new Tokenizer(tokJson, tokCfg);
  const vocab = tok.get_vocab(true);
  console.log(`${g.replace(".json", "")}: ${tokJson.model.byte_fallback ? "llama2 byte-fallback" : "byte-level"} BPE, ${vocab.size} tokens (vocab_size ${config.vocab_size})`);
  if (vocab.size > config.vocab_size) fail("tokenizer larger than vocab_size");
  for (const text of texts) {
    const enc = tok.encode(text, { add_special_tokens: false });
    const dec = tok.decode(enc.ids, { skip_special_tokens: true });
    if (dec !== text) fail(`round trip ${JSON.stringify(text)} -> ${JSON.stringify(dec)} via ${JSON.stringify(enc.tokens)}`);
    if (enc.ids.some((i) => i < 0 || i >= config.vocab_size)) fail("id out of range");
  }
  const sample = tok.encode("the cat and the hat", { add_special_tokens: false });
  console.log(`  "the cat and the hat" -> ${JSON.stringify(sample.tokens)} ${JSON.stringify(sample.ids)}`);
  if (sample.ids.length >= "the cat and the hat".length) fail("merges did not fire");
  const uni = tok.encode("naïve 😀", { add_special_tokens: false });
  console.log(`  "naïve 😀" -> ${JSON.stringify(uni.tokens)}`);
  const withSpecial = tok.encode("hi", { add_special_tokens: true });
  console.log(`  encode("hi", add_special_tokens) -> ${JSON.stringify(withSpecial.ids)}`);
  for (const special of tokJson.added_tokens) {
    const e = tok.encode(`a${special.content}b`, { add_special_tokens: false });
    if (!e.ids.includes(special.id)) fail(`special ${special.content} not encoded as id ${special.id}: ${JSON.stringify(e.tokens)}`);
  }
  const bos = config.bos_token_id;
  const eos = [].concat(config.eos_token_id);
  if (tok.id_to_token(bos) === undefined) fail("bos_token_id not in tokenizer");
  for (const e of eos) if (tok.id_to_token(e) === undefined) fail(`eos_token_id ${e} not in tokenizer`);
  console.log(`  bos ${bos}=${tok.id_to_token(bos)} eos ${eos.map((e) => `${e}=${tok.id_to_token(e)}`).join(",")}`);
  if (tokCfg.chat_template) {
    const prompt = new Template(tokCfg.chat_template).render({
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi there" }, { role: "assistant", content: "Hello." }, { role: "user", content: "Bye" }],
      add_generation_prompt: true, bos_token: tokCfg.bos_token, eos_token: tokCfg.eos_token,
    });
    const ids = tok.encode(prompt, { add_special_tokens: false }).ids;
    console.log(`  chat template -> ${JSON.stringify(prompt)} (${ids.length} tokens)`);
    const back = tok.decode(ids, { skip_special_tokens: false });
    if (tokJson.model.byte_fallback) {
      // Llama 2 (legacy) behaviour: Prepend("\u2581") runs on every piece between special tokens,
      // so each special token is followed by a space in the decoded text. Reported, not required.
      console.log(`  decoded back -> ${JSON.stringify(back)}`);
    } else if (back !== prompt) fail("chat prompt does not round-trip");
  }
}
console.log(failures ? `${failures} FAILED` : "tokenizers ok");
process.exit(failures ? 1 : 0);
