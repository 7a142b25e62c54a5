// The dimension pages' enhancements, loaded only on them (the pages work without it):
//
// - the table and chart builders (`form[data-preview]`) show a live preview: while the
//   editor types, the form is posted (debounced, 500 ms) to the preview endpoint, which
//   answers with the exact HTML table or SVG chart the published page will show, or with
//   the problems (422) as an HTML fragment;
// - the chart builder hides the series and panel columns the chosen chart type cannot
//   have (and disables them, so they are not sent; the server checks anyway);
// - the list of dimensions (`ol[data-reorder]`) can be reordered by drag and drop; the
//   new order is posted as JSON. The Move up / Move down buttons stay for keyboard users.

const DELAY = 500

function livePreview (form) {
  const preview = document.getElementById('preview')
  const problems = document.getElementById('preview-errors')
  const warnings = document.getElementById('preview-warnings')
  const warningList = document.getElementById('preview-warning-list')
  if (!preview || !form.querySelector('#settings-step')) return
  let timer = null
  let latest = 0
  const refresh = async () => {
    timer = null
    const request = ++latest
    const body = new URLSearchParams(new FormData(form))
    body.delete('action')
    try {
      const response = await fetch(form.dataset.preview, {
        method: 'POST',
        headers: { 'X-CSRF-Token': form.dataset.csrfToken },
        body
      })
      const text = await response.text()
      if (request !== latest) return // a newer preview is on its way
      if (response.ok) {
        preview.innerHTML = text
        problems.innerHTML = ''
        const detection = document.getElementById('detection')
        const summary = new URLSearchParams(response.headers.get('x-classification') || '').get('summary')
        if (detection && summary) {
          detection.hidden = false
          document.getElementById('detection-summary').textContent = summary
          // The other candidates were for the data shown when the page was loaded.
          document.getElementById('detection-details').replaceChildren()
        }
        if (warnings && warningList) {
          const found = new URLSearchParams(response.headers.get('x-chart-warnings') || '').getAll('warning')
          warningList.replaceChildren(...found.map(message => {
            const item = document.createElement('li')
            item.textContent = message
            return item
          }))
          warnings.hidden = found.length === 0
        }
      } else if (response.status === 422) {
        problems.innerHTML = text
      } else {
        problems.textContent = 'The preview could not be updated. Press Preview to try again.'
      }
    } catch {
      problems.textContent = 'The preview could not be updated: check your connection, then press Preview.'
    }
  }
  const later = () => {
    clearTimeout(timer)
    timer = setTimeout(refresh, DELAY)
  }
  form.addEventListener('input', later)
  form.addEventListener('change', later)
}

function columnRules (form) {
  const radios = form.querySelectorAll('input[name="chart_type"]')
  if (radios.length === 0) return
  const apply = () => {
    const chosen = form.querySelector('input[name="chart_type"]:checked')
    if (!chosen) return
    for (const block of form.querySelectorAll('[data-column-rule]')) {
      const rule = chosen.dataset[block.dataset.columnRule]
      const allowed = rule !== 'not_allowed'
      block.hidden = !allowed
      for (const field of block.querySelectorAll('select, textarea, input')) {
        field.disabled = !allowed
      }
      const empty = block.querySelector('select option[value=""]')
      if (empty) empty.textContent = rule === 'required' ? 'Choose a column' : 'None'
    }
  }
  for (const radio of radios) radio.addEventListener('change', apply)
  apply()
}

function dragToReorder (list) {
  const status = document.getElementById('reorder-status')
  const hint = document.querySelector('[data-drag-hint]')
  if (hint) hint.hidden = false
  let dragged = null
  for (const item of list.querySelectorAll('li[data-guid]')) {
    item.draggable = true
    item.addEventListener('dragstart', event => {
      dragged = item
      event.dataTransfer.effectAllowed = 'move'
      event.dataTransfer.setData('text/plain', item.dataset.guid)
    })
    item.addEventListener('dragover', event => {
      if (!dragged || dragged === item) return
      event.preventDefault()
      const box = item.getBoundingClientRect()
      const after = event.clientY > box.top + box.height / 2
      list.insertBefore(dragged, after ? item.nextSibling : item)
    })
    item.addEventListener('dragend', () => { dragged = null })
    item.addEventListener('drop', event => {
      event.preventDefault()
      save()
    })
  }
  const save = async () => {
    const dimensions = [...list.querySelectorAll('li[data-guid]')].map(item => item.dataset.guid)
    try {
      const response = await fetch(list.dataset.reorder, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': list.dataset.csrfToken },
        body: JSON.stringify({ dimensions })
      })
      const reply = await response.json()
      status.textContent = reply.message
      // The Move up / Move down buttons depend on the order: show them as it is now.
      if (reply.saved) window.location.assign(window.location.pathname + '?done=moved')
    } catch {
      status.textContent = 'The new order was not saved: check your connection and try again.'
    }
  }
}

// The preview stays in view while the editor scrolls through the settings. Set here (the
// CSP forbids inline styles; CSSOM properties are fine) because it only matters with the
// live preview.
for (const column of document.querySelectorAll('[data-sticky-preview]')) {
  column.style.position = 'sticky'
  column.style.top = '15px'
  column.style.maxHeight = 'calc(100vh - 30px)'
  column.style.overflowY = 'auto'
}

for (const form of document.querySelectorAll('form[data-preview]')) {
  columnRules(form)
  livePreview(form)
}
for (const list of document.querySelectorAll('ol[data-reorder]')) dragToReorder(list)
