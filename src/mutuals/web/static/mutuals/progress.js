// Keeps an evaluation run's status up to date while it runs, then reloads the
// page to show the results. Without JavaScript the page has a Refresh link.
const region = document.querySelector("[data-progress-url]");
if (region) {
  const url = region.dataset.progressUrl;
  const text = region.querySelector("[data-progress-text]");
  const bar = region.querySelector("progress");
  const poll = async () => {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const run = await response.json();
    if (run.status === "done" || run.status === "failed") {
      window.location.reload();
      return;
    }
    if (text) text.textContent = `${run.steps_done} of ${run.steps_total} programme and metric pairs done`;
    if (bar) bar.value = run.percent;
    window.setTimeout(poll, 2000);
  };
  window.setTimeout(poll, 2000);
}
