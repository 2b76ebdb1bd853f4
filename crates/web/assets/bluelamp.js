// Bluelamp's only script of its own: progressive enhancement. Every page works without it,
// except passkeys, which need the browser's WebAuthn API.
// Loaded as a file (the Content-Security-Policy forbids inline script).
(function () {
  "use strict";

  function toB64u(buffer) {
    var bytes = new Uint8Array(buffer), s = "";
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function fromB64u(text) {
    var s = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    var bytes = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) { bytes[i] = s.charCodeAt(i); }
    return bytes.buffer;
  }

  function post(url, fields) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString()
    }).then(function (r) {
      if (!r.ok) { throw new Error("the server refused (" + r.status + ")"); }
      return r.json();
    });
  }

  function field(form, name) {
    var el = form.querySelector("[name='" + name + "']");
    return el ? el.value : "";
  }

  function registerPasskey(form) {
    post("/account/passkeys/options", { csrf_token: field(form, "csrf_token") }).then(function (o) {
      o.challenge = fromB64u(o.challenge);
      o.user.id = fromB64u(o.user.id);
      o.excludeCredentials = (o.excludeCredentials || []).map(function (c) {
        return { type: c.type, id: fromB64u(c.id) };
      });
      return navigator.credentials.create({ publicKey: o });
    }).then(function (cred) {
      form.querySelector("[name='credential']").value = JSON.stringify({
        id: cred.id,
        response: {
          clientDataJSON: toB64u(cred.response.clientDataJSON),
          attestationObject: toB64u(cred.response.attestationObject)
        }
      });
      form.submit();
    }).catch(function (e) {
      window.alert("The passkey was not added: " + e.message);
    });
  }

  function signInWithPasskey(form) {
    post("/sign-in/passkey/options", { signin_token: field(form, "signin_token") }).then(function (o) {
      o.challenge = fromB64u(o.challenge);
      return navigator.credentials.get({ publicKey: o });
    }).then(function (cred) {
      var r = cred.response;
      form.querySelector("[name='credential']").value = JSON.stringify({
        id: cred.id,
        response: {
          clientDataJSON: toB64u(r.clientDataJSON),
          authenticatorData: toB64u(r.authenticatorData),
          signature: toB64u(r.signature),
          userHandle: r.userHandle ? toB64u(r.userHandle) : null
        }
      });
      form.submit();
    }).catch(function (e) {
      window.alert("You were not signed in with a passkey: " + e.message);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // Move focus to the error summary when a form comes back with errors (GOV.UK pattern),
    // so screen-reader and keyboard users hear what went wrong first.
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }

    var supported = !!(window.PublicKeyCredential && navigator.credentials);
    document.querySelectorAll("[data-passkey-register], [data-passkey-sign-in]").forEach(function (b) {
      if (supported) { b.hidden = false; }
    });
    document.querySelectorAll("[data-passkey-unsupported]").forEach(function (p) {
      p.hidden = supported;
    });
  });

  document.addEventListener("click", function (e) {
    var reg = e.target.closest("[data-passkey-register]");
    if (reg) { e.preventDefault(); registerPasskey(reg.form); return; }
    var login = e.target.closest("[data-passkey-sign-in]");
    if (login) { e.preventDefault(); signInWithPasskey(login.form); }
  });
})();
