// Checking an entry of CivicID's transparency log in the browser, without trusting the server's word.
// Written from RFC 9162 (https://www.rfc-editor.org/rfc/rfc9162), with WebCrypto only:
//   §2.1.1   leaf hash  = SHA-256(0x00 || leaf),  node hash = SHA-256(0x01 || left || right)
//   §2.1.3.2 verifying an inclusion proof (the step list is quoted at verifyInclusion)
//   §4.10    the signed tree head: CivicID signs "civicid.audit.sth.v1" 0x00 || TreeHeadDataV2 with Ed25519
// and CivicID's log-key rotations (docs/transparency.md): each new key is endorsed by the one before it.
// Plain script, no build step; also loaded by node for its unit tests (tests/unit/web/test_proof_js.py).
"use strict";
(function (root) {
  const subtle = root.crypto.subtle;
  const HASH_SIZE = 32;
  const MAX_PROOF_LENGTH = 64; // no valid proof for a tree of fewer than 2**63 leaves is longer
  const MAX_U64 = (1n << 64n) - 1n;
  const STH_CONTEXT = "civicid.audit.sth.v1\u0000";
  const KEY_CONTEXT = "civicid.audit.log_key.v1\u0000";

  function ascii(text) {
    return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  function equal(a, b) {
    if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
    return diff === 0;
  }

  // Standard base64 with padding (RFC 4648 §4), as the log's JSON uses; null if it is not that.
  function fromBase64(text) {
    if (typeof text !== "string" || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) {
      return null;
    }
    const bin = atob(text);
    return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  }

  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // A JSON integer 0 <= n < 2**64 as a BigInt (JSON numbers above 2**53 lose digits: refused); else null.
  function u64(value) {
    if (typeof value === "bigint") return value >= 0n && value <= MAX_U64 ? value : null;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) return null;
    return BigInt(value);
  }

  async function sha256(bytes) {
    return new Uint8Array(await subtle.digest("SHA-256", bytes));
  }

  // RFC 9162 §2.1.1: MTH({d}) = HASH(0x00 || d)
  function leafHash(leaf) {
    return sha256(concat(Uint8Array.of(0x00), leaf));
  }

  // RFC 9162 §2.1.1: an interior node, HASH(0x01 || left || right)
  function nodeHash(left, right) {
    return sha256(concat(Uint8Array.of(0x01), left, right));
  }

  function isHash(value) {
    return value instanceof Uint8Array && value.length === HASH_SIZE;
  }

  // RFC 9162 §2.1.3.2, step by step:
  //  1. Compare leaf_index from the inclusion_proof_v2 structure against tree_size. If leaf_index is
  //     greater than or equal to tree_size, then fail the proof verification.
  //  2. Set fn to leaf_index and sn to tree_size - 1.
  //  3. Set r to hash.
  //  4. For each value p in the inclusion_path array:
  //     a. If sn is 0, then stop the iteration and fail the proof verification.
  //     b. If LSB(fn) is set, or if fn is equal to sn, then:
  //        i.   Set r to HASH(0x01 || p || r).
  //        ii.  If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn)
  //             is set or fn is 0.
  //        Otherwise: Set r to HASH(0x01 || r || p).
  //     c. Finally, right-shift both fn and sn one time.
  //  5. Compare sn to 0. Compare r against the root_hash. If sn is equal to 0 and r and the
  //     root_hash are equal, then the log has proven the inclusion of hash. Otherwise, fail.
  // Never throws: malformed input is false.
  async function verifyInclusion(hash, leafIndex, treeSize, path, rootHash) {
    const index = u64(leafIndex);
    const size = u64(treeSize);
    if (index === null || size === null || !isHash(hash) || !isHash(rootHash)) return false;
    if (!Array.isArray(path) || path.length > MAX_PROOF_LENGTH || !path.every(isHash)) return false;
    if (index >= size) return false; // 1
    let fn = index; // 2
    let sn = size - 1n;
    let r = hash; // 3
    for (const p of path) { // 4
      if (sn === 0n) return false; // a
      if ((fn & 1n) === 1n || fn === sn) { // b
        r = await nodeHash(p, r); // i
        if ((fn & 1n) === 0n) { // ii
          while (!((fn & 1n) === 1n || fn === 0n)) {
            fn >>= 1n;
            sn >>= 1n;
          }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n; // c
      sn >>= 1n;
    }
    return sn === 0n && equal(r, rootHash); // 5
  }

  function bigEndian(value, bytes) {
    const out = new Uint8Array(bytes);
    let v = value;
    for (let i = bytes - 1; i >= 0; i--) {
      out[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return out;
  }

  // The bytes an STH signature covers: context, uint64 timestamp, uint64 tree_size,
  // uint8 32 || root_hash, uint16 0 (no extensions) — TreeHeadDataV2 of RFC 9162 §4.10.
  function treeHeadMessage(treeSize, timestamp, rootHash) {
    return concat(ascii(STH_CONTEXT), bigEndian(timestamp, 8), bigEndian(treeSize, 8), Uint8Array.of(HASH_SIZE),
                  rootHash, Uint8Array.of(0, 0));
  }

  function endorsementMessage(serial, firstSize, publicKey) {
    return concat(ascii(KEY_CONTEXT), bigEndian(serial, 4), bigEndian(firstSize, 8), publicKey);
  }

  async function ed25519Verify(publicKey, signature, message) {
    try {
      const key = await subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
      return await subtle.verify({ name: "Ed25519" }, key, signature, message);
    } catch (error) {
      if (error && error.name === "NotSupportedError") throw error; // no Ed25519 in this browser
      return false; // a malformed key or signature
    }
  }

  // The signed tree head as JSON (GET /api/v1/transparency/sth) → its fields, or null if malformed.
  function parseTreeHead(sth) {
    if (!sth || typeof sth !== "object" || sth.version !== "civicid.audit.sth.v1") return null;
    const treeSize = u64(sth.tree_size);
    const timestamp = u64(sth.timestamp);
    const rootHash = fromBase64(sth.sha256_root_hash);
    const signature = fromBase64(sth.tree_head_signature);
    if (treeSize === null || timestamp === null || !isHash(rootHash) || !signature || signature.length !== 64) {
      return null;
    }
    return { treeSize, timestamp, rootHash, signature };
  }

  // The log's keys (GET /api/v1/transparency/keys): the anchor, then each rotation that its
  // predecessor endorsed, oldest first; the first rotation that does not verify ends the chain
  // (it and later ones are ignored), as civicid.audit.log_keys.KeyChain.build does.
  async function keyChain(keys) {
    const anchor = keys && keys.anchor && fromBase64(keys.anchor.public_key);
    if (!anchor || anchor.length !== 32) return null;
    const chain = [{ serial: 1n, firstSize: 0n, publicKey: anchor }];
    for (const rotation of (keys && Array.isArray(keys.rotations) ? keys.rotations : [])) {
      const last = chain[chain.length - 1];
      const serial = u64(rotation && rotation.serial);
      const firstSize = u64(rotation && rotation.first_size);
      const publicKey = fromBase64(rotation && rotation.public_key);
      const endorsement = fromBase64(rotation && rotation.endorsement);
      if (serial === null || serial > 0xffffffffn || serial !== last.serial + 1n || firstSize === null) break;
      if (firstSize < (last.firstSize > 1n ? last.firstSize : 1n) || !publicKey || publicKey.length !== 32) break;
      if (!endorsement || !(await ed25519Verify(last.publicKey, endorsement,
                                                endorsementMessage(serial, firstSize, publicKey)))) break;
      chain.push({ serial, firstSize, publicKey });
    }
    return chain;
  }

  // The key that signs heads of treeSize: the newest with firstSize <= treeSize.
  function keyFor(chain, treeSize) {
    let chosen = chain[0];
    for (const key of chain) if (key.firstSize <= treeSize) chosen = key;
    return chosen;
  }

  // Does the head's signature verify under the chain's key for its size (any key for size 0)?
  async function verifyTreeHead(head, chain) {
    const message = treeHeadMessage(head.treeSize, head.timestamp, head.rootHash);
    const candidates = head.treeSize === 0n ? chain : [keyFor(chain, head.treeSize)];
    for (const key of candidates) {
      if (await ed25519Verify(key.publicKey, head.signature, message)) return key;
    }
    return null;
  }

  // The whole check of one history entry. getJSON(url) fetches the log's public JSON.
  // expected: {tag, occurred_at} as the page shows them (the leaf must say the same).
  // Resolves to {ok, reason, treeSize, rootHex, timestamp, keySerial, keyHex}; reason is a stable
  // code when ok is false: malformed_head, no_ed25519, bad_signature, malformed_proof, not_included,
  // leaf_mismatch.
  async function checkEntry(getJSON, leafIndex, expected) {
    const [sth, keys] = await Promise.all([getJSON("/api/v1/transparency/sth"),
                                           getJSON("/api/v1/transparency/keys")]);
    const head = parseTreeHead(sth);
    if (!head) return { ok: false, reason: "malformed_head" };
    const about = { treeSize: Number(head.treeSize), rootHex: hex(head.rootHash), timestamp: Number(head.timestamp) };
    const chain = await keyChain(keys);
    let signer;
    try {
      signer = chain && (await verifyTreeHead(head, chain));
    } catch (error) {
      return { ...about, ok: false, reason: "no_ed25519" };
    }
    if (!signer) return { ...about, ok: false, reason: "bad_signature" };
    Object.assign(about, { keySerial: Number(signer.serial), keyHex: hex(signer.publicKey) });
    const proof = await getJSON(`/api/v1/transparency/inclusion?leaf_index=${encodeURIComponent(leafIndex)}` +
                                `&tree_size=${head.treeSize}`);
    const leaf = fromBase64(proof && proof.leaf);
    const path = proof && Array.isArray(proof.inclusion_path) ? proof.inclusion_path.map(fromBase64) : null;
    if (!leaf || !path || u64(proof.tree_size) !== head.treeSize || u64(proof.leaf_index) !== u64(leafIndex)) {
      return { ...about, ok: false, reason: "malformed_proof" };
    }
    if (!(await verifyInclusion(await leafHash(leaf), leafIndex, head.treeSize, path, head.rootHash))) {
      return { ...about, ok: false, reason: "not_included" };
    }
    let event = null;
    try {
      event = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(leaf));
    } catch (_) {
      event = null;
    }
    if (!event || event.tag !== expected.tag || event.occurred_at !== expected.occurred_at) {
      return { ...about, ok: false, reason: "leaf_mismatch" };
    }
    return { ...about, ok: true, reason: null };
  }

  const api = {
    fromBase64, hex, leafHash, nodeHash, verifyInclusion, treeHeadMessage, parseTreeHead, keyChain, keyFor,
    verifyTreeHead, checkEntry,
  };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.CivicIDProof = api;
})(globalThis);
