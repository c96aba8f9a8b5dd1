"use strict";
(() => {
  const section = document.getElementById("signin");
  const button = document.getElementById("signin-button");
  const status = document.getElementById("signin-status");

  // What the citizen reads: the server's message (already in the page's language) for its typed
  // errors, our own words for the browser's exceptions, never their text.
  function plainWords(error) {
    if (error && error.code) return error.message;
    if (error && error.name === "NotAllowedError") return CivicID.t("The passkey request was cancelled or timed out.");
    if (error && error instanceof TypeError) return CivicID.t("We could not reach CivicID. Check your connection, then try again.");
    return CivicID.t("Your device could not use a passkey here. Try again, or use another device.");
  }

  button.addEventListener("click", async () => {
    button.disabled = true;
    CivicID.say(status, CivicID.t("Waiting for your passkey…"));
    try {
      await CivicID.signInWithPasskey();
      CivicID.say(status, CivicID.t("Signed in."));
      location.assign(CivicID.safeNext(section.dataset.next));
    } catch (error) {
      CivicID.say(status, plainWords(error), true);
      button.disabled = false;
    }
  });
})();
