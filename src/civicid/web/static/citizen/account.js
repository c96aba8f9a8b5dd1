"use strict";
(() => {
  const t = (text, values) => CivicID.t(text, values);

  // After a form's action the page comes back with a notice: move focus there so it is read out.
  const notice = document.getElementById("notice");
  if (notice && document.activeElement !== notice) notice.focus();

  const add = document.getElementById("add-passkey");
  const status = document.getElementById("passkey-status");
  if (add) {
    add.addEventListener("click", async () => {
      add.disabled = true;
      CivicID.say(status, t("Follow your device's prompt…"));
      try {
        await CivicID.registerPasskey();
        location.reload();
      } catch (error) {
        CivicID.say(status, error.message, true);
        status.setAttribute("tabindex", "-1");
        status.focus();
        add.disabled = false;
      }
    });
  }

  const signout = document.getElementById("signout");
  signout.hidden = false;
  signout.addEventListener("click", async () => {
    await CivicID.postJSON("/api/v1/signout");
    location.assign("/signin");
  });

  // "Check proof": the entry's inclusion proof, the signed tree head and its signature, checked
  // here with WebCrypto (static/citizen/proof.js), from the log's public JSON.
  async function getJSON(url) {
    const response = await fetch(url, { credentials: "omit", headers: { Accept: "application/json" } });
    if (!response.ok) {
      // The log's typed error carries a message in the page's language; never a bare status.
      const body = await response.json().catch(() => null);
      throw new Error(body?.error?.message || t("The log did not answer."));
    }
    return response.json();
  }

  const FAILURES = {
    malformed_head: () => t("The log's signed tree head could not be read, so nothing was checked."),
    no_ed25519: () => t("This browser cannot check Ed25519 signatures, so the tree head's signature was not checked. Use a recent browser, or check your download with the command-line verifier."),
    bad_signature: () => t("Warning: the log's signed tree head does not carry a valid signature of the log's key."),
    malformed_proof: () => t("Warning: the log did not send a usable proof for this entry."),
    not_included: () => t("Warning: the proof does not lead to the signed tree head: this entry is not shown to be in the log."),
    leaf_mismatch: () => t("Warning: the log's entry at this position is not the entry shown here."),
  };

  function shortHex(hex) {
    return `${hex.slice(0, 16)}…`;
  }

  async function check(item, button, result) {
    button.disabled = true;
    CivicID.say(result, t("Checking…"));
    try {
      const outcome = await CivicIDProof.checkEntry(getJSON, Number(item.dataset.leafIndex), {
        tag: item.dataset.tag, occurred_at: item.dataset.occurred,
      });
      if (outcome.ok) {
        const signedAt = new Date(outcome.timestamp).toISOString().replace(".000Z", "Z");
        CivicID.say(result, t("Proof checked in your browser: this entry is at position {index} of the public log, checked against the signed tree head of {size} entries (root {root}, signed at {when}); the head's signature was checked with log key {key}.", {
          index: item.dataset.leafIndex, size: outcome.treeSize, root: shortHex(outcome.rootHex), when: signedAt,
          key: shortHex(outcome.keyHex),
        }));
        result.classList.add("proof-ok");
      } else {
        CivicID.say(result, (FAILURES[outcome.reason] || FAILURES.malformed_proof)(), true);
      }
      result.dataset.outcome = outcome.ok ? "ok" : outcome.reason;
    } catch (error) {
      // A network failure's message is the browser's English ("Failed to fetch"): not shown.
      const why = error instanceof TypeError ? t("The log did not answer.") : error.message;
      CivicID.say(result, t("The proof could not be fetched ({error}). Try again.", { error: why }), true);
      result.dataset.outcome = "fetch_failed";
    } finally {
      button.disabled = false;
    }
  }

  for (const item of document.querySelectorAll("#history li[data-leaf-index]")) {
    const button = item.querySelector(".check-proof");
    const result = item.querySelector(".proof-result");
    if (!button || !result || typeof CivicIDProof === "undefined" || !window.crypto || !crypto.subtle) continue;
    button.hidden = false;
    button.addEventListener("click", () => check(item, button, result));
  }
})();
