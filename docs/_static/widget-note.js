// A stored ipywidgets view (a slider, tqdm's progress bar) needs a running kernel; the book fetches
// no widget JavaScript. Put a note where each one would be; the notebooks draw a static figure
// next to every control, so the default setting is shown all the same.
document.addEventListener("DOMContentLoaded", () => {
  const views = document.querySelectorAll(
    'script[type="application/vnd.jupyter.widget-view+json"]');
  for (const view of views) {
    const note = document.createElement("p");
    note.className = "widget-note";
    note.style.fontStyle = "italic";
    note.textContent = "A widget (a control or a progress bar) shows here when the notebook " +
      "runs in JupyterLab or on Binder.";
    view.after(note);
  }
});
