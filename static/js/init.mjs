// Turns on GOV.UK Frontend's JavaScript enhancements. Loaded as a file (not inline) so the
// Content-Security-Policy can forbid inline scripts.
import { initAll } from '/assets/govuk-frontend/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()
