// SPDX-FileCopyrightText: 2026 The Confab authors
// SPDX-License-Identifier: GPL-3.0-or-later
//
// bench-parse's comparison: the official OpenAI SDK for Node consuming a
// streamed chat completion from the benchmark's local server, as its
// documentation shows (for await over the stream, the text of each
// chunk's first choice appended). Prints the seconds from the call to the
// end of the stream, the chunks and the characters of text received.
//
// usage: node openai-sdk.mjs BASE_URL NODE_MODULES_DIR

import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [baseURL, modules] = process.argv.slice(2);
const require = createRequire(modules.replace(/\/?$/, "/"));
const { default: OpenAI } = await import(pathToFileURL(require.resolve("openai")).href);

const client = new OpenAI({ baseURL, apiKey: "bench", maxRetries: 0 });
const start = process.hrtime.bigint();
const stream = await client.chat.completions.create({
  model: "m",
  messages: [{ role: "user", content: "다음을 일본어로 번역하세요" }],
  stream: true,
});
let chunks = 0;
let text = "";
for await (const chunk of stream) {
  chunks++;
  text += chunk.choices[0]?.delta?.content ?? "";
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`${seconds} ${chunks} ${Buffer.byteLength(text, "utf8")}`);
