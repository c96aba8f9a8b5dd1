// WebAuthn JSON <-> browser objects, and a JSON POST helper. Plain script, no build step.
"use strict";
const CivicID = (() => {
  function b64urlToBuffer(text) {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes.buffer;
  }

  function bufferToB64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let bin = "";
    for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map((item) => ({ ...item, id: b64urlToBuffer(item.id) }));
  }

  function creationOptions(json) {
    return {
      ...json,
      challenge: b64urlToBuffer(json.challenge),
      user: { ...json.user, id: b64urlToBuffer(json.user.id) },
      excludeCredentials: descriptors(json.excludeCredentials),
    };
  }

  function requestOptions(json) {
    return { ...json, challenge: b64urlToBuffer(json.challenge), allowCredentials: descriptors(json.allowCredentials) };
  }

  function credentialJSON(credential) {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    const response = credential.response;
    const json = {
      id: credential.id, rawId: bufferToB64url(credential.rawId), type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(), response: {
        clientDataJSON: bufferToB64url(response.clientDataJSON),
      },
    };
    if (response.attestationObject) {
      json.response.attestationObject = bufferToB64url(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = bufferToB64url(response.authenticatorData);
      json.response.signature = bufferToB64url(response.signature);
      json.response.userHandle = response.userHandle ? bufferToB64url(response.userHandle) : null;
    }
    return json;
  }

  async function postJSON(url, body) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
    if (!response.ok) {
      // the server's message is already in the page's language (cookie or Accept-Language)
      const error = new Error((data.error && data.error.message) || t("Something went wrong on our side. Try again."));
      error.code = data.error && data.error.code;
      error.detail = data.error && data.error.detail;
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // Only a same-origin relative path ("/x", not "//x" or "/\x"); the server checks it too.
  function safeNext(value) {
    if (!value || !value.startsWith("/") || value.startsWith("//") || value.includes("\\")) return "/account";
    try {
      return new URL(value, location.origin).origin === location.origin ? value : "/account";
    } catch (_) {
      return "/account";
    }
  }

  async function registerPasskey() {
    const options = await postJSON("/api/v1/passkeys/registration/options");
    const credential = await navigator.credentials.create({ publicKey: creationOptions(options.publicKey) });
    return postJSON("/api/v1/passkeys/registration/verify",
                    { ceremony_id: options.ceremony_id, credential: credentialJSON(credential) });
  }

  async function signInWithPasskey() {
    const options = await postJSON("/api/v1/signin/options");
    const credential = await navigator.credentials.get({ publicKey: requestOptions(options.publicKey) });
    return postJSON("/api/v1/signin/verify",
                    { ceremony_id: options.ceremony_id, credential: credentialJSON(credential) });
  }

  function say(element, text, isError) {
    element.textContent = text;
    element.classList.toggle("error", Boolean(isError));
  }

  // The page's translations of the scripts' text (a JSON block rendered by base.html), by English msgid;
  // "{name}" in the text is replaced by params.name: CivicID.t("About {left} s", { left: 3 }).
  let messages = null;
  function t(text, params) {
    if (messages === null) {
      const block = document.getElementById("civicid-messages");
      try {
        messages = block ? JSON.parse(block.textContent) : {};
      } catch (_) {
        messages = {};
      }
    }
    const translated = messages[text] || text;
    if (!params) return translated;
    return translated.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
  }

  return { postJSON, safeNext, registerPasskey, signInWithPasskey, say, t };
})();
