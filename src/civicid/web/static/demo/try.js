// The "try it" page (demo mode): one still from the camera (or a chosen file), scaled and
// compressed to a JPEG within the server's limit, sent with a name and optional birth date to
// the demo registry; the answer's ID number is shown, never stored or put in a URL.
"use strict";
(() => {
  const section = document.getElementById("try");
  const api = section.dataset.api;
  const maxBytes = Number(section.dataset.photoMaxBytes);
  const form = document.getElementById("try-form");
  const status = document.getElementById("try-status");
  const camera = document.getElementById("try-camera");
  const video = document.getElementById("try-preview");
  const cameraOn = document.getElementById("try-camera-on");
  const captureButton = document.getElementById("try-capture");
  const still = document.getElementById("try-still");
  const fileInput = document.getElementById("try-file");
  const submit = document.getElementById("try-submit");
  const result = document.getElementById("try-result");
  const nameInput = document.getElementById("try-name");
  const birthDateInput = document.getElementById("try-birth-date");
  const MAX_SIDE = 640; // a camera frame's size: enough for a registry photo
  let stream = null;
  let photo = null; // the JPEG Blob to send

  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) cameraOn.hidden = false;

  cameraOn.addEventListener("click", async () => {
    CivicID.say(status, CivicID.t("Opening your camera…"));
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false, video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
      });
    } catch (error) {
      CivicID.say(status, error && error.name === "NotAllowedError"
        ? CivicID.t("Allow this page to use your camera, or choose a photo instead.")
        : error && error.name === "NotFoundError" ? CivicID.t("No camera was found on this device. Choose a photo instead.")
          : CivicID.t("Your camera could not be opened. Choose a photo instead."), true);
      return;
    }
    video.srcObject = stream;
    camera.hidden = false;
    cameraOn.hidden = true;
    captureButton.hidden = false;
    CivicID.say(status, CivicID.t("Look at the camera, then take the photo."));
    captureButton.focus();
  });

  captureButton.addEventListener("click", async () => {
    if (!video.videoWidth) {
      CivicID.say(status, CivicID.t("The camera is not ready yet. Try again in a moment."), true);
      return;
    }
    await usePhoto(video, video.videoWidth, video.videoHeight);
    stopCamera();
    captureButton.hidden = true;
    cameraOn.hidden = false;
    cameraOn.textContent = CivicID.t("Take another photo");
  });

  fileInput.addEventListener("change", async () => {
    const file = fileInput.files && fileInput.files[0];
    if (!file) return;
    let bitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch (_) {
      CivicID.say(status, CivicID.t("This file is not a photo we can read. Choose a JPEG, PNG or WebP file."), true);
      return;
    }
    stopCamera();
    await usePhoto(bitmap, bitmap.width, bitmap.height);
    bitmap.close();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = nameInput.value.trim();
    if (!name) {
      CivicID.say(status, CivicID.t("Enter your full name."), true);
      nameInput.focus();
      return;
    }
    if (!photo) {
      CivicID.say(status, CivicID.t("Take a photo of your face first, or choose one."), true);
      status.focus();
      return;
    }
    submit.disabled = true;
    CivicID.say(status, CivicID.t("Checking your photo and adding you to the demo registry…"));
    try {
      const person = await CivicID.postJSON(api, {
        name, birth_date: birthDateInput.value || null, photo_jpeg_b64: await base64(photo),
      });
      show(person);
    } catch (error) {
      CivicID.say(status, plainWords(error), true);
      status.focus();
    } finally {
      submit.disabled = false;
    }
  });

  document.getElementById("try-copy").addEventListener("click", async () => {
    const number = document.getElementById("try-result-number").textContent;
    try {
      await navigator.clipboard.writeText(number);
      CivicID.say(status, CivicID.t("Your ID number was copied."));
    } catch (_) {
      const range = document.createRange();
      range.selectNodeContents(document.getElementById("try-result-number"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      CivicID.say(status, CivicID.t("Copy the selected ID number yourself (Ctrl+C or ⌘C)."));
    }
  });

  function show(person) {
    document.getElementById("try-result-name").textContent = person.name;
    document.getElementById("try-result-number").textContent = person.id_number;
    document.getElementById("try-result-birth-date").textContent = person.birth_date;
    form.hidden = true;
    result.hidden = false;
    CivicID.say(status, CivicID.t("Done. Now get your CivicID with this ID number and name."));
    document.getElementById("try-result-heading").focus();
  }

  // The still, unmirrored, scaled to at most MAX_SIDE, as a JPEG of at most maxBytes bytes.
  async function usePhoto(source, width, height) {
    let scale = Math.min(1, MAX_SIDE / Math.max(width, height));
    const canvas = document.createElement("canvas");
    for (let attempt = 0; attempt < 6; attempt++) {
      canvas.width = Math.max(1, Math.round(width * scale));
      canvas.height = Math.max(1, Math.round(height * scale));
      canvas.getContext("2d").drawImage(source, 0, 0, canvas.width, canvas.height);
      for (const quality of [0.9, 0.8, 0.7, 0.6]) {
        const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
        if (blob && blob.size <= maxBytes) {
          photo = blob;
          if (still.src) URL.revokeObjectURL(still.src);
          still.src = URL.createObjectURL(blob);
          still.hidden = false;
          CivicID.say(status, CivicID.t("Photo ready. Check it shows your whole face, then add yourself."));
          return;
        }
      }
      scale *= 0.8;
    }
    photo = null;
    CivicID.say(status, CivicID.t("This photo could not be made small enough. Take another one."), true);
  }

  function base64(blob) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(",", 2)[1]);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
  }

  function stopCamera() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    camera.hidden = true;
  }

  // The API's typed error codes in the visitor's words; never a raw code or library text.
  function plainWords(error) {
    const code = (error && error.code) || "";
    if (code === "face.not_found") return CivicID.t("We could not see a face in the photo. Face the camera in good light and try again.");
    if (code === "face.multiple") return CivicID.t("There is more than one face in the photo. Make sure only you are in it.");
    if (code === "registry.photo_quality") return CivicID.t("Your face is too small, blurred, badly lit or turned away. Come closer, face the camera in good light and try again.");
    if (code === "registry.demo_people_limit") return CivicID.t("Too many people were added from this network in the last hour. Try again later.");
    if (code === "id_number.birth_date") return CivicID.t("The birth date must be between 1900-01-01 and today.");
    if (code === "image.too_large" || code === "request.too_large") return CivicID.t("The photo is too large. Take another one.");
    if (code.startsWith("image.") || code === "registry.photo_invalid") return CivicID.t("This photo could not be used. Take another one, or choose a JPEG, PNG or WebP file.");
    if (code === "request.invalid") return CivicID.t("Check your name and birth date, then try again.");
    if (code === "request.rate_limited") return CivicID.t("Too many requests. Wait a moment, then try again.");
    if (error && error.status === 404) return CivicID.t("The demo registry is not open on this server.");
    if (error && error.name === "TypeError") return CivicID.t("We could not reach CivicID. Check your connection, then try again.");
    return CivicID.t("Something went wrong on our side. Try again.");
  }
})();
