// The outlet job page without reloading: poll the job's JSON, move the progress bar, and reload the
// page once the job is finished (the server then shows the summary). Without JavaScript the page
// reloads itself (a meta refresh inside <noscript>).
(function () {
  "use strict";
  var section = document.getElementById("job");
  if (!section || !window.fetch) {
    return;
  }
  var url = section.getAttribute("data-job-url");
  function show(id, value) {
    var element = document.getElementById(id);
    if (element) {
      element.textContent = String(value);
    }
  }
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (job) {
        if (!job) {
          window.location.reload();
          return;
        }
        if (job.status === "done" || job.status === "failed") {
          window.location.reload();
          return;
        }
        show("job-status", job.status_label);
        show("rows-read", job.rows_read);
        show("rows-total", job.rows_total);
        show("rows-priced", job.rows_priced);
        var bar = document.getElementById("job-progress");
        if (bar) {
          bar.max = job.rows_total || 1;
          bar.value = job.rows_read;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        window.setTimeout(poll, 3000);
      });
  }
  window.setTimeout(poll, 1000);
})();
