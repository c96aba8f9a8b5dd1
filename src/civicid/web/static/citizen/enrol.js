// Enrolment and recovery: claim → server challenge → camera frames (unmirrored JPEGs with capture
// times) → decision → "Create your passkey". Frames leave the page only in the one upload.
"use strict";
(() => {
  const section = document.getElementById("enrol");
  const api = section.dataset.mode === "recover" ? "/api/v1/recovery" : "/api/v1/enrolments";
  const status = document.getElementById("enrol-status");
  const form = document.getElementById("claim-form");
  const cameraStep = document.getElementById("camera-step");
  const passkeyStep = document.getElementById("passkey-step");
  const video = document.getElementById("preview");
  const prompt = document.getElementById("prompt");
  const startButton = document.getElementById("start-capture");
  const ACTIONS = {
    blink: CivicID.t("Blink once, slowly"),
    turn_left: CivicID.t("Turn your head to your left, then back"),
    turn_right: CivicID.t("Turn your head to your right, then back"),
  };
  const REASONS = [
    ["liveness.action_missing", CivicID.t("We did not see every action. Do them clearly, one after the other.")],
    ["liveness.order", CivicID.t("The actions were not done in the order asked.")],
    ["liveness.face_missing", CivicID.t("Keep your whole face in the picture.")],
    ["match.", CivicID.t("Your face did not match your registry photo.")],
    ["quality.", CivicID.t("Make sure your face is well lit and close enough to the camera.")],
  ];
  // The API's typed error codes in the citizen's words; never a raw code, JSON or library text.
  const MESSAGES = {
    "enrolment.not_found_or_mismatch": CivicID.t("We could not find an active registry record with this ID number and name. Check both and try again."),
    "enrolment.already_enrolled": CivicID.t("This ID number already has a CivicID. If you lost your passkey, recover your CivicID instead."),
    "recovery.not_enrolled": CivicID.t("This ID number has no CivicID yet. Get your CivicID instead."),
    "enrolment.session_not_found": CivicID.t("This attempt has ended. Start again."),
    "enrolment.session_expired": CivicID.t("This attempt has expired. Start again."),
    "recovery.session_not_found": CivicID.t("This attempt has ended. Start again."),
    "recovery.session_expired": CivicID.t("This attempt has expired. Start again."),
    "decision.not_found": CivicID.t("This attempt has ended. Start again."),
    "decision.expired": CivicID.t("This attempt has expired. Start again."),
    "enrolment.frames_invalid": CivicID.t("The pictures from your camera could not be used. Start again."),
    "enrolment.frame_too_large": CivicID.t("The pictures from your camera are too large. Start again."),
    "request.invalid": CivicID.t("Check your ID number and name, then try again."),
    "request.too_large": CivicID.t("The pictures from your camera are too large. Start again."),
    "request.rate_limited": CivicID.t("Too many requests. Wait a moment, then try again."),
    "service.unavailable": CivicID.t("The service is briefly unavailable. Try again in a few seconds."),
    "passkey.already_registered": CivicID.t("This device already has a passkey for your CivicID. You can sign in with it."),
    "passkey.fresh_face_session_required": CivicID.t("Your face check was more than 10 minutes ago. Start again."),
    "passkey.ceremony_invalid": CivicID.t("The passkey step took too long. Try again."),
    "passkey.ceremony_expired": CivicID.t("The passkey step took too long. Try again."),
    "passkey.registration_rejected": CivicID.t("Your device's passkey could not be used. Try again, or use another device."),
    "auth.sign_in_required": CivicID.t("Your face check has ended. Start again."),
  };
  const LINKS = {
    "enrolment.already_enrolled": ["/recover", CivicID.t("Recover your CivicID")],
    "recovery.not_enrolled": ["/enrol", CivicID.t("Get your CivicID")],
  };
  const LEAD_MS = 1000;
  const PER_ACTION_MS = 2200;
  const STORED = `civicid.${section.dataset.mode === "recover" ? "recovery" : "enrolment"}.session`;
  const progress = document.getElementById("progress");
  const progressBar = document.getElementById("progress-bar");
  const progressText = document.getElementById("progress-text");
  let started = null;
  let stream = null;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    CivicID.say(status, CivicID.t("Checking with the registry…"));
    try {
      started = await CivicID.postJSON(api, { id_number: form.id_number.value.trim(), name: form.name.value.trim() });
    } catch (error) {
      fail(error);
      return;
    }
    const list = document.getElementById("actions");
    list.replaceChildren(...started.challenge.actions.map((action) => {
      const item = document.createElement("li");
      item.textContent = ACTIONS[action] || action;
      return item;
    }));
    form.hidden = true;
    cameraStep.hidden = false;
    CivicID.say(status, "");
    focusOn(document.getElementById("camera-heading"));
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false, video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30, min: 15 } },
      });
      video.srcObject = stream;
    } catch (error) {
      CivicID.say(status, error && error.name === "NotAllowedError"
        ? CivicID.t("Allow this page to use your camera, then start again.")
        : error && error.name === "NotFoundError" ? CivicID.t("No camera was found on this device.") : CivicID.t("Your camera could not be opened."), true);
    }
  });

  startButton.addEventListener("click", async () => {
    startButton.disabled = true;
    try {
      const captured = await capture(started.challenge, started.upload.max_frames);
      stopCamera();
      const body = new FormData();
      captured.blobs.forEach((blob, i) => body.append("frames", blob, `frame-${i}.jpg`));
      body.append("timestamps_ms", captured.times.join(","));
      sessionStorage.setItem(STORED, started.session_id);
      const stop = checking(captured.blobs.length);
      let response = null;
      let result = null;
      try {
        response = await fetch(`${api}/${encodeURIComponent(started.session_id)}/frames`, {
          method: "POST", body, credentials: "same-origin", headers: { "Accept": "application/json" },
        });
        result = await response.json();
      } catch (_) {
        result = null;  // the connection dropped or the answer was lost: the decision is kept a while
      }
      if (!result || !response || response.status >= 500) {
        result = await fetchDecision(started.session_id);
      } else if (!response.ok) {
        throw apiError(result, response.status);
      }
      stop();
      decided(result);
    } catch (error) {
      stopCamera();
      fail(error);
    } finally {
      startButton.disabled = false;
    }
  });

  // A reload (or a lost answer) while "Checking…": ask again for the decision of the session
  // this tab started; kept on the server 10 minutes, for this tab's session id only.
  const remembered = sessionStorage.getItem(STORED);
  if (remembered) {
    form.hidden = true;
    const stop = checking(0);
    fetchDecision(remembered).then((result) => { stop(); decided(result); }, (error) => { stop(); fail(error); });
  }

  async function fetchDecision(sessionId) {
    const url = `${api}/${encodeURIComponent(sessionId)}/decision`;
    for (let tries = 0; tries < 180; tries++) {
      let response = null;
      let result = null;
      try {
        response = await fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } });
        result = await response.json();
      } catch (_) {
        result = null;
      }
      if (response && result && !response.ok && response.status < 500) throw apiError(result, response.status);
      if (response && result && response.ok && result.decision !== "pending") return result;
      await new Promise((done) => setTimeout(done, 1000));
    }
    throw apiError({}, 0);
  }

  function decided(result) {
    sessionStorage.removeItem(STORED);
    cameraStep.hidden = true;
    if (result.decision === "enrolled" || result.decision === "recovered") {
      passkeyStep.hidden = false;
      CivicID.say(status, result.network_id ? CivicID.t("Your network ID: {id}", { id: result.network_id }) : "");
      focusOn(document.getElementById("passkey-heading"));
    } else {
      CivicID.say(status, explain(result.reasons) + " " + CivicID.t("Start again to get a new challenge."), true);
      form.hidden = false;
      focusOn(status);
    }
  }

  // After each step focus moves to what changed (the new step's heading, or the message saying
  // what went wrong), so keyboard and screen-reader users continue from there.
  function focusOn(element) {
    if (element && document.activeElement !== element) element.focus();
  }

  function fail(error) {
    sessionStorage.removeItem(STORED);
    cameraStep.hidden = true;
    passkeyStep.hidden = true;
    form.hidden = false;
    CivicID.say(status, plainWords(error), true);
    focusOn(status);
    const link = LINKS[error && error.code];
    if (link) {
      const anchor = document.createElement("a");
      anchor.href = link[0];
      anchor.textContent = link[1];
      status.append(" ", anchor);
    }
  }

  function apiError(result, httpStatus) {
    const error = new Error("request failed");
    error.code = result && result.error && result.error.code;
    error.detail = result && result.error && result.error.detail;
    error.status = httpStatus;
    return error;
  }

  // What the citizen reads for an error: our words for the API's codes and the browser's own
  // exceptions, never their text.
  function plainWords(error) {
    const code = error && error.code;
    if (code === "enrolment.locked") {
      const seconds = error.detail && error.detail.retry_after_s;
      return CivicID.t("Too many attempts with this ID number or from this network.") + " " +
        (seconds ? CivicID.t("Try again in {time}.", { time: inWords(seconds) }) : CivicID.t("Try again later."));
    }
    if (code && MESSAGES[code]) return MESSAGES[code];
    if (code && code.startsWith("id_number.")) return CivicID.t("This ID number is not valid. Check it and try again.");
    if (error && error.name === "NotAllowedError") return CivicID.t("The passkey was not created: the request was cancelled or timed out. Try again.");
    if (error && error.name === "InvalidStateError") return MESSAGES["passkey.already_registered"];
    if (error && error.status === 0) return CivicID.t("We could not reach CivicID. Check your connection, then start again.");
    return CivicID.t("Something went wrong on our side. Start again.");
  }

  function inWords(seconds) {
    if (seconds < 90) return CivicID.t("{n} seconds", { n: Math.max(1, Math.round(seconds)) });
    if (seconds < 90 * 60) return CivicID.t("{n} minutes", { n: Math.round(seconds / 60) });
    const hours = Math.round(seconds / 3600);
    return hours === 1 ? CivicID.t("1 hour") : CivicID.t("{n} hours", { n: hours });
  }

  // Progress: during capture (time left of the recording) and during the decision ("checking
  // your face — about N s"), with "keep this page open". Screen readers hear the text (aria-live
  // on #progress-text), not each step of the bar.
  function showProgress(value, text) {
    progress.hidden = false;
    progressBar.value = value;
    progressBar.setAttribute("aria-valuenow", String(Math.round(value)));
    progressBar.setAttribute("aria-valuetext", text);
    if (progressText.textContent !== text) progressText.textContent = text;
  }

  function hideProgress() {
    progress.hidden = true;
    progressText.textContent = "";
  }

  function checking(frames) {
    const expected = Math.max(3, Math.ceil(2 + frames / 50));  // upload and face work, in seconds
    const t0 = performance.now();
    const tick = () => {
      const elapsed = (performance.now() - t0) / 1000;
      const left = Math.ceil(expected - elapsed);
      showProgress(Math.min(95, (elapsed / expected) * 100), left > 0
        ? CivicID.t("Checking your face — about {left} s. Keep this page open.", { left })
        : CivicID.t("Checking your face — a few more seconds. Keep this page open."));
    };
    tick();
    const timer = setInterval(tick, 1000);
    return () => { clearInterval(timer); hideProgress(); };
  }

  document.getElementById("create-passkey").addEventListener("click", async (event) => {
    event.target.disabled = true;
    CivicID.say(status, CivicID.t("Follow your device's prompt…"));
    try {
      await CivicID.registerPasskey();
      location.assign(CivicID.safeNext(section.dataset.next));
    } catch (error) {
      CivicID.say(status, plainWords(error), true);
      event.target.disabled = false;
    }
  });

  // Frames at >= 15 fps (at most maxFrames over the whole capture), drawn unmirrored from the
  // video element (the preview is mirrored by CSS only), encoded as JPEG.
  // The server's prompt times (ms from the start of the capture) when it sent them; a pinned
  // test challenge has none, and the page then paces the prompts itself.
  function schedule(challenge) {
    if (challenge.prompts_ms) return { prompts: challenge.prompts_ms, duration: challenge.capture_ms };
    const prompts = challenge.actions.map((_, i) => LEAD_MS + i * PER_ACTION_MS);
    return { prompts, duration: LEAD_MS + challenge.actions.length * PER_ACTION_MS };
  }

  function capture(challenge, maxFrames) {
    const actions = challenge.actions;
    const { prompts, duration } = schedule(challenge);
    const interval = Math.max(1000 / 20, duration / Math.min(maxFrames, 150));
    const canvas = document.createElement("canvas");
    const scale = Math.min(1, 640 / (video.videoWidth || 640));
    canvas.width = Math.round((video.videoWidth || 640) * scale);
    canvas.height = Math.round((video.videoHeight || 480) * scale);
    const context = canvas.getContext("2d");
    const pending = [];
    const times = [];
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const timer = setInterval(() => {
        const elapsed = performance.now() - t0;
        const secondsLeft = Math.max(0, Math.ceil((duration - elapsed) / 1000));
        showProgress(Math.min(100, (elapsed / duration) * 100),
                     CivicID.t("Recording — {left} s left. Keep this page open.", { left: secondsLeft }));
        const slot = prompts.filter((at) => at <= elapsed).length - 1;
        prompt.textContent = slot < 0 ? CivicID.t("Look at the camera") : (ACTIONS[actions[slot]] || "");
        const t = Math.round(elapsed);
        if (elapsed >= duration || pending.length >= maxFrames) {
          clearInterval(timer);
          prompt.textContent = "";
          hideProgress();
          Promise.all(pending).then((blobs) => resolve({ blobs, times }), reject);
          return;
        }
        if (times.length && t <= times[times.length - 1]) return;
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        times.push(t);
        pending.push(new Promise((done) => canvas.toBlob(done, "image/jpeg", 0.85)));
      }, interval);
    });
  }

  function stopCamera() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
  }

  function explain(reasons) {
    for (const [prefix, text] of REASONS) {
      if ((reasons || []).some((reason) => reason.startsWith(prefix))) return text;
    }
    return CivicID.t("We could not verify you.");
  }
})();
