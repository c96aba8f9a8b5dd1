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
    blink: "Blink once, slowly",
    turn_left: "Turn your head to your left, then back",
    turn_right: "Turn your head to your right, then back",
  };
  const REASONS = [
    ["liveness.action_missing", "We did not see every action. Do them clearly, one after the other."],
    ["liveness.order", "The actions were not done in the order asked."],
    ["liveness.face_missing", "Keep your whole face in the picture."],
    ["match.", "Your face did not match your registry photo."],
    ["quality.", "Make sure your face is well lit and close enough to the camera."],
  ];
  const LEAD_MS = 1000;
  const PER_ACTION_MS = 2200;
  let started = null;
  let stream = null;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    CivicID.say(status, "Checking with the registry…");
    try {
      started = await CivicID.postJSON(api, { id_number: form.id_number.value.trim(), name: form.name.value.trim() });
    } catch (error) {
      CivicID.say(status, error.message, true);
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
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false, video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30, min: 15 } },
      });
      video.srcObject = stream;
    } catch (error) {
      CivicID.say(status, "The camera could not be opened: " + error.message, true);
    }
  });

  startButton.addEventListener("click", async () => {
    startButton.disabled = true;
    try {
      const captured = await capture(started.challenge, started.upload.max_frames);
      CivicID.say(status, "Checking…");
      const body = new FormData();
      captured.blobs.forEach((blob, i) => body.append("frames", blob, `frame-${i}.jpg`));
      body.append("timestamps_ms", captured.times.join(","));
      const response = await fetch(`${api}/${encodeURIComponent(started.session_id)}/frames`, {
        method: "POST", body, credentials: "same-origin",
      });
      const result = await response.json();
      if (!response.ok) throw new Error((result.error && result.error.message) || `HTTP ${response.status}`);
      stopCamera();
      if (result.decision === "enrolled" || result.decision === "recovered") {
        cameraStep.hidden = true;
        passkeyStep.hidden = false;
        CivicID.say(status, result.network_id ? `Your network ID: ${result.network_id}` : "");
      } else {
        CivicID.say(status, explain(result.reasons) + " Start again to get a new challenge.", true);
        cameraStep.hidden = true;
        form.hidden = false;
      }
    } catch (error) {
      stopCamera();
      CivicID.say(status, error.message, true);
      cameraStep.hidden = true;
      form.hidden = false;
    } finally {
      startButton.disabled = false;
    }
  });

  document.getElementById("create-passkey").addEventListener("click", async (event) => {
    event.target.disabled = true;
    CivicID.say(status, "Follow your device's prompt…");
    try {
      await CivicID.registerPasskey();
      location.assign(CivicID.safeNext(section.dataset.next));
    } catch (error) {
      CivicID.say(status, error.message, true);
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
        const slot = prompts.filter((at) => at <= elapsed).length - 1;
        prompt.textContent = slot < 0 ? "Look at the camera" : (ACTIONS[actions[slot]] || "");
        const t = Math.round(elapsed);
        if (elapsed >= duration || pending.length >= maxFrames) {
          clearInterval(timer);
          prompt.textContent = "";
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
    return "We could not verify you.";
  }
})();
