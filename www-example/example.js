// Defines window.herogi until herogi.min.js arrives: calls are queued, none throws.
// This is the inline snippet of js/snippet.html, kept in a same-origin file so that the page
// works under a Content-Security-Policy without 'unsafe-inline'.
window.herogi = window.herogi || (function (queue) {
  function stub(name) {
    return function () {
      var call = [name, arguments];
      queue.push(call);
      if (!window.Promise) return;
      var promise = new Promise(function (resolve, reject) { call.push(resolve, reject); });
      call.push(promise);
      return promise;
    };
  }
  return {
    q: queue, init: stub("init"), identify: stub("identify"), reset: stub("reset"),
    ready: stub("ready"), getHgid: function () { return null; }
  };
})([]);

// The example page: init with the local server's demo credentials, identify on submit, and
// show the outcome and the profile that the server stored.
(function () {
  "use strict";

  // herogi-server's default credentials. They are public, so they only suit a local demo, and
  // a real site gets its own from the Herogi panel.
  var APP_ID = "demo-app";
  var APP_SECRET = "demo-secret";
  // The localStorage key under which the SDK keeps the visitor's hgid.
  var HGID_KEY = "herogi:hgid";

  var USER_FIELDS = [
    "email", "mobileNo", "firstname", "lastname", "city", "gender", "language", "country",
    "timezone",
  ];
  var CUSTOM_TEXT_FIELDS = ["plan", "favoriteColor"];
  var OPTIN_FIELDS = ["emailOptin", "smsOptin", "pushOptin", "webPushOptin", "locationOptin"];

  // The page serves the API too, so apiUrl is its own origin.
  var askLocation = new URLSearchParams(location.search).get("location") === "1";
  herogi.init(APP_ID, APP_SECRET, askLocation, { apiUrl: location.origin });

  var form = document.getElementById("identify-form");
  var locationSwitch = document.getElementById("ask-location");
  var submissions = 0;

  locationSwitch.checked = askLocation;
  document.getElementById("location-state").textContent = askLocation
    ? "This page asked for the location at init."
    : "This page did not ask for the location.";
  locationSwitch.addEventListener("change", reloadWithLocationSetting);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });
  showStoredHgid();

  function reloadWithLocationSetting() {
    var url = new URL(location.href);
    if (locationSwitch.checked) {
      url.searchParams.set("location", "1");
    } else {
      url.searchParams.delete("location");
    }
    location.assign(url.href);
  }

  async function submit() {
    var submission = ++submissions;
    showOutcomeStart();

    var result;
    try {
      result = await herogi.identify(
        externalId(),
        textFields(USER_FIELDS),
        customAttributes(),
        textFields(OPTIN_FIELDS),
      );
    } catch (error) {
      if (submission !== submissions) return;
      showError(error);
      showDropped(error && error.dropped);
      setStatus("identify failed.");
      showStoredHgid();
      return;
    }
    if (submission !== submissions) return;
    document.getElementById("hgid").textContent = result.hgid;
    showDropped(result.dropped);
    showStoredHgid();
    setStatus("identify succeeded; reading the stored profile…");
    await showProfile(result.hgid, submission);
  }

  /** Returns the externalId, or null for none, so that the SDK does not shift arguments. */
  function externalId() {
    var value = form.elements.externalId.value;
    return value.trim() === "" ? null : value;
  }

  /** Returns the named form fields that are not blank, unchanged, so that the SDK checks them. */
  function textFields(names) {
    var values = {};
    names.forEach(function (name) {
      var value = form.elements[name].value;
      if (value.trim() !== "") values[name] = value;
    });
    return values;
  }

  function customAttributes() {
    var values = textFields(CUSTOM_TEXT_FIELDS);
    // An input of type number has an empty value when its text is not a number.
    var points = form.elements.loyaltyPoints.value;
    if (points !== "") values.loyaltyPoints = Number(points);
    return values;
  }

  /** Reads the profile back from the server with the same credentials and shows it. */
  async function showProfile(hgid, submission) {
    var profile = document.getElementById("profile");
    var text;
    try {
      var response = await fetch(location.origin + "/v1/users/" + encodeURIComponent(hgid), {
        headers: { Authorization: "Basic " + btoa(APP_ID + ":" + APP_SECRET) },
      });
      var body = await response.text();
      if (!response.ok) {
        var request = "GET /v1/users/" + hgid;
        throw new Error(request + " failed with HTTP " + response.status + ": " + body);
      }
      text = JSON.stringify(JSON.parse(body), null, 2);
    } catch (error) {
      if (submission !== submissions) return;
      showError(error);
      setStatus("identify succeeded, but reading the stored profile failed.");
      return;
    }
    if (submission !== submissions) return;
    profile.textContent = text;
    setStatus("identify succeeded; the stored profile is below.");
  }

  function showOutcomeStart() {
    setStatus("Sending…");
    document.getElementById("hgid").textContent = "none yet";
    document.getElementById("profile").textContent = "none yet";
    document.getElementById("error").hidden = true;
    showDropped([]);
  }

  function showDropped(dropped) {
    var list = document.getElementById("dropped");
    list.replaceChildren();
    (Array.isArray(dropped) ? dropped : []).forEach(function (entry) {
      var item = document.createElement("li");
      item.textContent = entry.field + " = " + describe(entry.value) + ": " + entry.reason;
      list.append(item);
    });
    document.getElementById("dropped-section").hidden = list.children.length === 0;
  }

  function showError(error) {
    var parts = [];
    if (error && error.code) parts.push(error.code);
    parts.push(error && error.message ? error.message : String(error));
    if (error && error.field) parts.push("(field: " + error.field + ")");
    var element = document.getElementById("error");
    element.textContent = parts.join(" ");
    element.hidden = false;
  }

  /** Shows the hgid that the SDK keeps in localStorage, which throws in some sandboxes. */
  function showStoredHgid() {
    var text;
    try {
      text = window.localStorage.getItem(HGID_KEY) || "none";
    } catch (error) {
      text = "localStorage is unavailable: " + error.message;
    }
    document.getElementById("stored-hgid").textContent = text;
  }

  function setStatus(text) {
    document.getElementById("status").textContent = text;
  }

  function describe(value) {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
  }
})();
