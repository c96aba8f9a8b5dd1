"use strict";
(() => {
  const add = document.getElementById("add-passkey");
  const status = document.getElementById("passkey-status");
  if (add) {
    add.addEventListener("click", async () => {
      add.disabled = true;
      CivicID.say(status, "Follow your device's prompt…");
      try {
        await CivicID.registerPasskey();
        location.reload();
      } catch (error) {
        CivicID.say(status, error.message, true);
        add.disabled = false;
      }
    });
  }
  document.getElementById("signout").addEventListener("click", async () => {
    await CivicID.postJSON("/api/v1/signout");
    location.assign("/signin");
  });
})();
