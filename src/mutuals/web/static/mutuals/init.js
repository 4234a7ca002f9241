// Progressive enhancement for every page. Loaded as an ES module, so it only
// runs in browsers GOV.UK Frontend supports; no inline script is needed, which
// keeps a strict Content Security Policy possible.
import { initAll } from "../govuk-frontend/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
