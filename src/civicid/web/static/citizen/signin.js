"use strict";
(() => {
  const section = document.getElementById("signin");
  const button = document.getElementById("signin-button");
  const status = document.getElementById("signin-status");
  button.addEventListener("click", async () => {
    button.disabled = true;
    CivicID.say(status, CivicID.t("Waiting for your passkey…"));
    try {
      await CivicID.signInWithPasskey();
      CivicID.say(status, CivicID.t("Signed in."));
      location.assign(CivicID.safeNext(section.dataset.next));
    } catch (error) {
      const message = error.name === "NotAllowedError" ? CivicID.t("The passkey request was cancelled or timed out.") : error.message;
      CivicID.say(status, message, true);
      button.disabled = false;
    }
  });
})();
