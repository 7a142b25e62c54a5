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

// The site's search (`form[data-search-index]`): the index is a JSON file made by the site
// build, so search works on a static host with no server. Every word typed must appear in a
// page's title, topic or summary; title matches rank first.
for (const form of document.querySelectorAll('form[data-search-index]')) {
  const input = form.querySelector('input[name="q"]')
  const status = document.getElementById('search-status')
  const results = document.getElementById('search-results')
  let index = null
  const show = async () => {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean)
    results.replaceChildren()
    if (words.length === 0) { status.textContent = 'Type a word to search.'; return }
    index ??= await (await fetch(form.dataset.searchIndex)).json()
    const scored = []
    for (const entry of index) {
      const title = entry.title.toLowerCase()
      const text = `${title} ${entry.topic.toLowerCase()} ${entry.summary.toLowerCase()}`
      if (!words.every((word) => text.includes(word))) continue
      scored.push([words.filter((word) => title.includes(word)).length, entry])
    }
    scored.sort((a, b) => b[0] - a[0] || a[1].title.localeCompare(b[1].title))
    for (const [, entry] of scored.slice(0, 50)) {
      const item = document.createElement('li')
      const link = document.createElement('a')
      link.className = 'govuk-link govuk-!-font-weight-bold'
      link.href = entry.url
      link.textContent = entry.title
      const summary = document.createElement('p')
      summary.className = 'govuk-body-s'
      summary.textContent = entry.topic ? `${entry.topic}. ${entry.summary}` : entry.summary
      item.append(link, summary)
      results.append(item)
    }
    status.textContent = `${scored.length} result${scored.length === 1 ? '' : 's'} for “${input.value}”`
  }
  form.addEventListener('submit', (event) => { event.preventDefault(); show() })
  const query = new URLSearchParams(window.location.search).get('q')
  if (query) { input.value = query; show() } else status.textContent = ''
}
