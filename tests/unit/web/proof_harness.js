// Runs static/citizen/proof.js under node on tests/vectors/audit/browser_proofs.json and prints what
// it answers for each case (JSON on stdout); tests/unit/web/test_proof_js.py compares with Python's.
"use strict";
const fs = require("fs");
const path = require("path");

const proof = require(path.resolve(__dirname, "../../../src/civicid/web/static/citizen/proof.js"));
const vectors = JSON.parse(fs.readFileSync(process.argv[2], "utf-8"));

async function main() {
  const out = { leaf_hashes: [], inclusion: [], heads: [], entries: [] };
  for (const item of vectors.leaf_hashes) {
    out.leaf_hashes.push(proof.hex(await proof.leafHash(proof.fromBase64(item.leaf))));
  }
  for (const c of vectors.inclusion) {
    const leafHash = await proof.leafHash(proof.fromBase64(c.leaf));
    out.inclusion.push(await proof.verifyInclusion(leafHash, c.leaf_index, c.tree_size,
                                                   c.inclusion_path.map(proof.fromBase64), proof.fromBase64(c.root)));
  }
  for (const c of vectors.heads) {
    const head = proof.parseTreeHead(c.sth);
    const chain = await proof.keyChain(c.keys);
    const signer = head && chain ? await proof.verifyTreeHead(head, chain) : null;
    out.heads.push(signer ? Number(signer.serial) : null);
  }
  for (const c of vectors.entries) {
    const getJSON = async (url) => {
      if (!(url in c.responses)) throw new Error(`unexpected request ${url}`);
      return c.responses[url];
    };
    out.entries.push(await proof.checkEntry(getJSON, c.leaf_index, c.expected));
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack || error));
  process.exit(1);
});
