// Turns on GOV.UK Frontend's JavaScript enhancements. Loaded as a file (not inline) so the
// Content-Security-Policy can forbid inline scripts.
import { initAll } from '/assets/govuk-frontend/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()

// "Copy" buttons (`data-copy-from="<input id>"`) are hidden until there is a clipboard to
// copy to; without JavaScript the text stays selectable in its read-only field.
for (const button of document.querySelectorAll('[data-copy-from]')) {
  const source = document.getElementById(button.dataset.copyFrom)
  if (!source || !navigator.clipboard) continue
  button.hidden = false
  button.addEventListener('click', async () => {
    await navigator.clipboard.writeText(source.value)
    button.textContent = 'Copied'
  })
}
