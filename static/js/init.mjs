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

// Autosave on edit forms (`data-autosave="<url>"`): at most every 10 seconds while someone
// types, the form is posted in the background. The server applies the same rule as the Save
// button: a save based on an old version of the page is refused, never written, and the
// message says to press Save to see the other person's changes.
for (const form of document.querySelectorAll('form[data-autosave]')) {
  const status = form.querySelector('#autosave-status')
  const lock = form.querySelector('input[name="lock_version"]')
  let timer = null
  let stopped = false
  const save = async () => {
    timer = null
    if (stopped) return
    const body = new URLSearchParams(new FormData(form))
    try {
      const response = await fetch(form.dataset.autosave, {
        method: 'POST',
        headers: { 'X-CSRF-Token': form.dataset.csrfToken },
        body
      })
      const reply = await response.json()
      if (reply.saved) lock.value = reply.lock_version
      if (response.status === 409) stopped = true
      status.textContent = reply.message
    } catch {
      status.textContent = 'Not saved automatically: check your connection, then press Save.'
    }
  }
  form.addEventListener('input', () => {
    if (!timer && !stopped) timer = setTimeout(save, 10000)
  })
  form.addEventListener('submit', () => { stopped = true; clearTimeout(timer) })
}
