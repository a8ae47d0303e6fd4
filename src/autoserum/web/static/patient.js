// Patient pages: answers are kept in this browser (localStorage) until the server confirms
// them, with the submission id, so a lost connection, a reload or a retry sends the same
// submission again (the server records it once). Nothing is sent anywhere else.
(function () {
  "use strict";
  var form = document.querySelector("form.pro-form");
  if (form) {
    var key = "autoserum-pro:" + form.getAttribute("data-key");
    var saved = null;
    try { saved = JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
    var sid = form.querySelector("input[name=submission_id]");
    if (saved && saved.submission_id) {
      sid.value = saved.submission_id;
      Object.keys(saved.answers || {}).forEach(function (name) {
        var input = form.querySelector("input[name='" + name + "'][value='" + saved.answers[name] + "']");
        if (input) { input.checked = true; }
      });
    }
    var store = function () {
      var answers = {};
      form.querySelectorAll("input[type=radio]:checked").forEach(function (input) {
        answers[input.name] = input.value;
      });
      try {
        window.localStorage.setItem(key, JSON.stringify({ submission_id: sid.value, answers: answers }));
      } catch (e) { /* storage full or disabled: the form still works */ }
    };
    store();
    form.addEventListener("change", store);
    form.addEventListener("submit", function () {
      store();
      var button = form.querySelector("button[type=submit]");
      // a double tap sends once; if the answer is lost on the way back, Send works again
      // after a moment (the same submission id: the server records the entry once)
      window.setTimeout(function () { if (button) { button.disabled = true; } }, 0);
      window.setTimeout(function () { if (button) { button.disabled = false; } }, 3000);
    });
  }
  // the list page after a save: the entry is recorded, forget its kept answers
  var done = document.querySelectorAll("[data-forget]");
  done.forEach(function (el) {
    try { window.localStorage.removeItem("autoserum-pro:" + el.getAttribute("data-forget")); } catch (e) { /* ignore */ }
  });
})();
