// Bookline booking page (the widget's iframe) and self-service page. Plain browser JavaScript, no
// framework, no build. Every time is shown in the visitor's zone (the browser's), with the
// business's own time beside it when the zones differ. The server's answers carry codes, data and
// short UI text; this file never reads meaning out of a sentence.
// @ts-check
(function () {
  'use strict';
  var root = /** @type {HTMLElement} */ (document.getElementById('bookline'));
  var boot = JSON.parse(/** @type {HTMLElement} */ (document.getElementById('bookline-boot')).textContent || '{}');
  var params = new URLSearchParams(location.search);
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  var api = boot.base + '/api/';

  /** @type {any} */
  var state = {
    config: null,
    service: null,
    staff: '',
    month: null, // {y, m} in the visitor's zone
    avail: null, // date -> slots
    loadingMonth: false,
    date: null, // yyyy-mm-dd selected
    focusDate: null,
    slot: null,
    result: null,
    error: null,
    conflict: null,
    submitting: false,
    key: null,
    keyFor: null,
    manage: null,
  };

  // ------------------------------------------------------------------------------------------
  // Helpers

  /** @param {string} tag @param {Record<string, any>} [attrs] @param {...(Node|string|null|undefined|false)} kids */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else if (k === 'text') el.textContent = v;
        else el.setAttribute(k, v === true ? '' : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var kid = arguments[i];
      if (kid === null || kid === undefined || kid === false) continue;
      el.appendChild(typeof kid === 'string' ? document.createTextNode(kid) : kid);
    }
    return el;
  }

  function request(method, path, body, headers) {
    var init = { method: method, headers: Object.assign({ Accept: 'application/json' }, headers || {}) };
    if (boot.key) init.headers['X-Widget-Key'] = boot.key;
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(api + path, init).then(
      function (res) {
        return res.json().then(
          function (data) {
            data.status = res.status;
            return data;
          },
          function () {
            return { ok: false, status: res.status, message: 'Something went wrong. Please try again.' };
          },
        );
      },
      function () {
        return { ok: false, status: 0, message: 'No connection. Please check your network and try again.' };
      },
    );
  }

  function newKey() {
    return crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(36).slice(2);
  }

  var hour12 = function () {
    return !state.config || state.config.business.clock !== '24h';
  };
  function fmt(iso, opts, tz) {
    return new Intl.DateTimeFormat(undefined, Object.assign({ timeZone: tz || zone }, opts, opts.hour ? { hour12: hour12() } : {})).format(new Date(iso));
  }
  function timeText(iso, tz) {
    return fmt(iso, { hour: 'numeric', minute: '2-digit' }, tz);
  }
  function longDay(iso, tz) {
    return fmt(iso, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }, tz);
  }
  function zoneLabel(z) {
    return (z.split('/').pop() || z).replace(/_/g, ' ');
  }
  function businessZone() {
    return state.config ? state.config.business.timeZone : zone;
  }
  function zonesDiffer() {
    return businessZone() !== zone;
  }
  /** "Tuesday, 1 December 2026, 10:00 AM" (+ business time when the zones differ). */
  function fullWhen(iso) {
    var s = longDay(iso) + ', ' + timeText(iso);
    if (zonesDiffer()) s += ' your time (' + timeText(iso, businessZone()) + ' ' + zoneLabel(businessZone()) + ' time)';
    return s;
  }

  // Calendar arithmetic on plain dates (yyyy-mm-dd), no time zone involved.
  function ymd(y, m, d) {
    var t = new Date(Date.UTC(y, m - 1, d));
    return t.toISOString().slice(0, 10);
  }
  function parseYmd(s) {
    return { y: Number(s.slice(0, 4)), m: Number(s.slice(5, 7)), d: Number(s.slice(8, 10)) };
  }
  function addDays(s, n) {
    var p = parseYmd(s);
    return ymd(p.y, p.m, p.d + n);
  }
  function addMonths(s, n) {
    var p = parseYmd(s);
    var last = new Date(Date.UTC(p.y, p.m - 1 + n + 1, 0)).getUTCDate();
    return ymd(p.y, p.m + n, Math.min(p.d, last));
  }
  /** Monday = 0. */
  function weekdayIndex(s) {
    var p = parseYmd(s);
    return (new Date(Date.UTC(p.y, p.m - 1, p.d)).getUTCDay() + 6) % 7;
  }
  function todayInZone() {
    var parts = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
    return parts.slice(0, 10);
  }
  function monthTitle(y, m) {
    return new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, 1)));
  }
  function dayLabel(s) {
    var p = parseYmd(s);
    return new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(p.y, p.m - 1, p.d)));
  }

  function post(event, payload) {
    if (window.parent !== window) window.parent.postMessage({ event: 'bookline:' + event, payload: payload }, '*');
  }
  function reportHeight() {
    post('height', { height: document.documentElement.scrollHeight });
  }

  // ------------------------------------------------------------------------------------------
  // Loading

  function loadMonth() {
    if (!state.service) return;
    var y = state.month.y,
      m = state.month.m;
    var from = ymd(y, m, 1);
    var to = ymd(y, m + 1, 0);
    var q = new URLSearchParams({ service: state.service.id, from: from, to: to, tz: zone });
    if (state.staff) q.set('staff', state.staff);
    state.loadingMonth = true;
    state.avail = null;
    render();
    var asked = q.toString();
    state.asked = asked;
    return request('GET', 'availability?' + asked).then(function (data) {
      if (state.asked !== asked) return; // a newer month was asked for meanwhile
      state.loadingMonth = false;
      if (!data.ok) {
        state.error = data.message;
        state.avail = {};
      } else {
        state.error = null;
        var map = {};
        data.days.forEach(function (d) {
          map[d.date] = d.slots;
        });
        state.avail = map;
      }
      render();
    });
  }

  function setMonthOf(dateStr) {
    var p = parseYmd(dateStr);
    if (state.month && state.month.y === p.y && state.month.m === p.m) return false;
    state.month = { y: p.y, m: p.m };
    return true;
  }

  // ------------------------------------------------------------------------------------------
  // Rendering

  var liveText = '';
  function announce(text) {
    liveText = text;
  }

  function render() {
    var focusId = document.activeElement && document.activeElement.id;
    root.textContent = '';
    root.style.setProperty('--brand', boot.brandColor || '#1d4ed8');
    if (!state.config) {
      root.appendChild(h('p', { class: 'loading', role: 'status' }, state.error || 'Loading…'));
      return;
    }
    root.appendChild(h('h1', null, boot.mode === 'manage' ? 'Your appointment' : 'Book with ' + state.config.business.name));
    if (boot.mode === 'manage') renderManage();
    else if (state.result) renderDone();
    else renderBooking();
    root.appendChild(h('p', { id: 'bl-live', class: 'sr-only', role: 'status', 'aria-live': 'polite' }, liveText));
    if (focusId) {
      var again = document.getElementById(focusId);
      if (again) again.focus();
    }
    reportHeight();
  }

  function zoneNote() {
    return h(
      'p',
      { class: 'zone', id: 'bl-zone' },
      'Times are shown in your time zone (' + zoneLabel(zone) + ').',
      zonesDiffer() ? ' ' + state.config.business.name + ' is in ' + zoneLabel(businessZone()) + ' time; its local time is shown beside each time.' : '',
    );
  }

  function renderChoice() {
    var services = state.config.services;
    var box = h('div', { class: 'row' });
    var sel = h(
      'select',
      {
        id: 'bl-service',
        onchange: function (e) {
          state.service = services.find(function (s) {
            return s.id === e.target.value;
          });
          state.staff = '';
          state.date = null;
          state.slot = null;
          loadMonth();
        },
      },
      ...services.map(function (s) {
        return h('option', { value: s.id, selected: state.service && s.id === state.service.id }, s.name + ' (' + s.minutes + ' min' + (s.price ? ', ' + s.price : '') + ')');
      }),
    );
    box.appendChild(h('div', { class: 'field' }, h('label', { for: 'bl-service' }, 'Service'), sel));
    if (state.service && state.service.staff.length > 1) {
      var staffSel = h(
        'select',
        {
          id: 'bl-staff',
          onchange: function (e) {
            state.staff = e.target.value;
            state.date = null;
            state.slot = null;
            loadMonth();
          },
        },
        h('option', { value: '' }, 'Anyone available'),
        ...state.service.staff.map(function (p) {
          return h('option', { value: p.id, selected: p.id === state.staff }, p.name);
        }),
      );
      box.appendChild(h('div', { class: 'field' }, h('label', { for: 'bl-staff' }, 'Staff'), staffSel));
    }
    return box;
  }

  function renderCalendar(onPick) {
    var y = state.month.y,
      m = state.month.m;
    var first = ymd(y, m, 1);
    var today = todayInZone();
    var focus = state.focusDate && state.focusDate.slice(0, 7) === first.slice(0, 7) ? state.focusDate : state.date && state.date.slice(0, 7) === first.slice(0, 7) ? state.date : null;
    if (!focus) {
      // The first bookable day of the month, else today, else the 1st.
      var days = state.avail ? Object.keys(state.avail).sort() : [];
      focus = days[0] || (today.slice(0, 7) === first.slice(0, 7) ? today : first);
    }
    var title = monthTitle(y, m);
    var wrap = h('section', { class: 'calendar', 'aria-labelledby': 'bl-month' });
    var prevDisabled = first.slice(0, 7) <= today.slice(0, 7);
    wrap.appendChild(
      h(
        'div',
        { class: 'cal-head' },
        h('button', { type: 'button', id: 'bl-prev', class: 'nav', 'aria-label': 'Previous month', disabled: prevDisabled, onclick: function () { changeMonth(-1); } }, '‹'),
        h('h2', { id: 'bl-month', 'aria-live': 'polite' }, title),
        h('button', { type: 'button', id: 'bl-next', class: 'nav', 'aria-label': 'Next month', onclick: function () { changeMonth(1); } }, '›'),
      ),
    );
    var table = h('table', { role: 'grid', 'aria-labelledby': 'bl-month', id: 'bl-grid' });
    var headRow = h('tr');
    ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su'].forEach(function (d, i) {
      var full = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'][i];
      headRow.appendChild(h('th', { scope: 'col', abbr: full }, d));
    });
    table.appendChild(h('thead', null, headRow));
    var body = h('tbody');
    var cursor = addDays(first, -weekdayIndex(first));
    for (var w = 0; w < 6; w++) {
      var row = h('tr');
      for (var i = 0; i < 7; i++) {
        var date = cursor;
        var inMonth = date.slice(0, 7) === first.slice(0, 7);
        if (!inMonth) {
          row.appendChild(h('td', { role: 'gridcell' }));
        } else {
          var slots = state.avail && state.avail[date];
          var bookable = Boolean(slots && slots.length);
          var selected = state.date === date;
          var label = dayLabel(date) + (state.avail ? (bookable ? ', ' + slots.length + ' times available' : ', no times available') : '');
          row.appendChild(
            h(
              'td',
              { role: 'gridcell', 'aria-selected': selected ? 'true' : 'false' },
              h(
                'button',
                {
                  type: 'button',
                  id: 'bl-day-' + date,
                  'data-date': date,
                  class: 'day' + (bookable ? ' bookable' : '') + (selected ? ' selected' : '') + (date === today ? ' today' : ''),
                  tabindex: date === focus ? '0' : '-1',
                  'aria-label': label,
                  'aria-disabled': bookable ? null : 'true',
                  'aria-current': date === today ? 'date' : null,
                  onclick: function (e) {
                    var dd = e.currentTarget.getAttribute('data-date');
                    if (e.currentTarget.getAttribute('aria-disabled') === 'true') return;
                    state.date = dd;
                    state.focusDate = dd;
                    state.slot = null;
                    announce(dayLabel(dd) + ' selected');
                    onPick(dd);
                  },
                  onkeydown: gridKey,
                },
                String(Number(date.slice(8))),
              ),
            ),
          );
        }
        cursor = addDays(cursor, 1);
      }
      body.appendChild(row);
      if (cursor.slice(0, 7) !== first.slice(0, 7) && weekdayIndex(cursor) === 0) break;
    }
    table.appendChild(body);
    wrap.appendChild(table);
    if (state.loadingMonth) wrap.appendChild(h('p', { class: 'status', role: 'status' }, 'Loading available days…'));
    else if (state.avail && Object.keys(state.avail).length === 0) wrap.appendChild(h('p', { class: 'status empty', role: 'status' }, state.error || 'Nothing available in ' + title + '. Try the next month.'));
    return wrap;
  }

  function changeMonth(n) {
    var p = addMonths(ymd(state.month.y, state.month.m, 1), n);
    var today = todayInZone();
    if (p.slice(0, 7) < today.slice(0, 7)) return;
    setMonthOf(p);
    state.focusDate = null;
    announce(monthTitle(state.month.y, state.month.m));
    loadMonth();
  }

  /** The WAI-ARIA date grid keys: arrows by day/week, Home/End by week, PageUp/PageDown by month (Shift: year). */
  function gridKey(e) {
    var cur = e.currentTarget.getAttribute('data-date');
    var next = null;
    switch (e.key) {
      case 'ArrowLeft': next = addDays(cur, -1); break;
      case 'ArrowRight': next = addDays(cur, 1); break;
      case 'ArrowUp': next = addDays(cur, -7); break;
      case 'ArrowDown': next = addDays(cur, 7); break;
      case 'Home': next = addDays(cur, -weekdayIndex(cur)); break;
      case 'End': next = addDays(cur, 6 - weekdayIndex(cur)); break;
      case 'PageUp': next = addMonths(cur, e.shiftKey ? -12 : -1); break;
      case 'PageDown': next = addMonths(cur, e.shiftKey ? 12 : 1); break;
      default: return;
    }
    e.preventDefault();
    var today = todayInZone();
    if (next < today.slice(0, 8) + '01') next = today;
    state.focusDate = next;
    if (setMonthOf(next)) {
      announce(monthTitle(state.month.y, state.month.m));
      var loading = loadMonth();
      focusDay(next);
      // Keys pressed while the month loaded have moved on: focus where they left it, not `next`,
      // and only if focus is still in the grid (or was dropped by the re-render).
      if (loading)
        loading.then(function () {
          var a = document.activeElement;
          if (state.focusDate && (!a || a === document.body || a.id.indexOf('bl-day-') === 0)) focusDay(state.focusDate);
        });
    } else {
      render();
      focusDay(next);
    }
  }

  function focusDay(date) {
    var b = document.getElementById('bl-day-' + date);
    if (b) b.focus();
  }

  function renderTimes(onPick) {
    var slots = (state.avail && state.avail[state.date]) || [];
    var sec = h('section', { class: 'times', 'aria-labelledby': 'bl-times-h' });
    sec.appendChild(h('h2', { id: 'bl-times-h' }, 'Times on ' + dayLabel(state.date)));
    if (!slots.length) {
      sec.appendChild(h('p', { class: 'status empty' }, 'No times available on this day.'));
      return sec;
    }
    var list = h('ul', { class: 'slot-list', 'aria-describedby': 'bl-zone' });
    slots.forEach(function (s, i) {
      var chosen = state.slot && state.slot.iso === s.iso;
      list.appendChild(
        h(
          'li',
          null,
          h(
            'button',
            {
              type: 'button',
              id: 'bl-slot-' + i,
              class: 'slot' + (chosen ? ' selected' : ''),
              'aria-pressed': chosen ? 'true' : 'false',
              'aria-label': fullWhen(s.iso),
              'data-start': s.iso,
              onclick: function () {
                state.slot = s;
                state.conflict = null;
                announce(fullWhen(s.iso) + ' chosen');
                onPick(s);
              },
            },
            h('span', { class: 'local' }, timeText(s.iso)),
            zonesDiffer() ? h('span', { class: 'biz' }, timeText(s.iso, businessZone()) + ' ' + zoneLabel(businessZone())) : null,
          ),
        ),
      );
    });
    sec.appendChild(list);
    return sec;
  }

  var form = { name: params.get('name') || '', phone: params.get('phone') || '', email: params.get('email') || '', notes: params.get('notes') || '' };
  var formErrors = {};

  function validate() {
    var e = {};
    if (!form.name.trim()) e.name = 'Please enter your name.';
    var digits = form.phone.replace(/\D/g, '');
    if (!form.phone.trim()) e.phone = 'Please enter your phone number.';
    else if (digits.length < 7 || digits.length > 15 || /[^\d\s()+.-]/.test(form.phone)) e.phone = 'Please enter a full phone number, like (212) 555-0100.';
    if (form.email.trim() && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(form.email.trim())) e.email = 'Please enter a valid e-mail address, or leave it empty.';
    return e;
  }

  function field(name, label, type, attrs) {
    var id = 'bl-' + name;
    var err = formErrors[name];
    var input = h(type === 'textarea' ? 'textarea' : 'input', Object.assign(
      {
        id: id,
        name: name,
        type: type === 'textarea' ? null : type,
        'aria-invalid': err ? 'true' : null,
        'aria-describedby': err ? id + '-err' : null,
        oninput: function (e) {
          form[name] = e.target.value;
        },
      },
      attrs || {},
    ));
    input.value = form[name];
    return h('div', { class: 'field' }, h('label', { for: id }, label), input, err ? h('p', { class: 'error', id: id + '-err' }, err) : null);
  }

  function renderForm() {
    var f = h('form', {
      id: 'bl-form',
      novalidate: true,
      'aria-labelledby': 'bl-form-h',
      onsubmit: function (e) {
        e.preventDefault();
        submit();
      },
    });
    f.appendChild(h('h2', { id: 'bl-form-h' }, 'Your details'));
    f.appendChild(h('p', { class: 'chosen' }, 'Selected: ' + state.service.name + ', ' + fullWhen(state.slot.iso)));
    f.appendChild(field('name', 'Name (required)', 'text', { autocomplete: 'name', required: true, maxlength: '100' }));
    f.appendChild(field('phone', 'Phone (required)', 'tel', { autocomplete: 'tel', required: true, maxlength: '30' }));
    f.appendChild(field('email', 'E-mail (optional)', 'email', { autocomplete: 'email', maxlength: '254' }));
    f.appendChild(field('notes', 'Notes (optional)', 'textarea', { maxlength: '500', rows: '3' }));
    if (state.error) f.appendChild(h('p', { class: 'error', role: 'alert', id: 'bl-error' }, state.error));
    f.appendChild(h('button', { type: 'submit', id: 'bl-submit', class: 'primary', disabled: state.submitting, 'aria-disabled': state.submitting ? 'true' : null }, state.submitting ? 'Booking…' : 'Book ' + timeText(state.slot.iso)));
    return f;
  }

  function renderConflict(onPick) {
    var c = state.conflict;
    var sec = h('section', { class: 'conflict', role: 'alert', 'aria-labelledby': 'bl-conflict-h' });
    sec.appendChild(h('h2', { id: 'bl-conflict-h' }, c.message || 'That time was just taken.'));
    if (c.alternatives && c.alternatives.length) {
      var list = h('ul', { class: 'slot-list' });
      c.alternatives.forEach(function (a, i) {
        list.appendChild(
          h('li', null, h('button', {
            type: 'button',
            id: 'bl-alt-' + i,
            class: 'slot alt',
            'aria-label': fullWhen(a.iso),
            'data-start': a.iso,
            onclick: function () {
              state.slot = { iso: a.iso };
              state.date = a.visitor.date;
              state.conflict = null;
              state.error = null;
              if (setMonthOf(a.visitor.date)) loadMonth();
              render();
              var b = document.getElementById('bl-submit');
              if (b) b.focus();
            },
          }, longDay(a.iso) + ', ' + timeText(a.iso))),
        );
      });
      sec.appendChild(list);
    } else sec.appendChild(h('p', null, 'Please choose another day.'));
    return sec;
  }

  function renderBooking() {
    root.appendChild(renderChoice());
    root.appendChild(zoneNote());
    root.appendChild(renderCalendar(function () { render(); var t = document.getElementById('bl-slot-0'); if (t) t.focus(); }));
    if (state.conflict) root.appendChild(renderConflict());
    if (state.date) root.appendChild(renderTimes(function () { render(); var n = document.getElementById('bl-name'); if (n) n.focus(); }));
    if (state.slot) root.appendChild(renderForm());
  }

  function submit() {
    formErrors = validate();
    state.error = null;
    if (Object.keys(formErrors).length) {
      render();
      var firstBad = document.querySelector('[aria-invalid="true"]');
      if (firstBad) /** @type {HTMLElement} */ (firstBad).focus();
      return;
    }
    // The same attempt (same slot and details) keeps its key, so a double submit books once.
    var payload = { service: state.service.id, staff: state.staff || undefined, start: state.slot.iso, name: form.name.trim(), phone: form.phone.trim(), email: form.email.trim() || undefined, notes: form.notes.trim() || undefined, tz: zone };
    var sig = JSON.stringify(payload);
    if (state.keyFor !== sig) {
      state.key = newKey();
      state.keyFor = sig;
    }
    state.submitting = true;
    render();
    request('POST', 'bookings', payload, { 'Idempotency-Key': state.key }).then(function (res) {
      state.submitting = false;
      if (res.ok) {
        state.result = res;
        announce(res.message);
        render();
        var h1 = document.getElementById('bl-done-h');
        if (h1) h1.focus();
        post('booked', { id: res.appointment.id, startTime: res.appointment.start.iso, endTime: res.appointment.end.iso, service: res.appointment.service.id });
        return;
      }
      if (res.status === 409 && res.alternatives) {
        state.conflict = { message: res.message, alternatives: res.alternatives };
        state.slot = null;
        render();
        var alt = document.getElementById('bl-alt-0') || document.getElementById('bl-conflict-h');
        if (alt) alt.focus();
        loadMonth();
        return;
      }
      // A field the server refused: show its text at that field.
      var f = res.params && res.params.field;
      var map = { customer_name: 'name', customer_phone: 'phone', customer_email: 'email', notes: 'notes' };
      if (f && map[f]) formErrors[map[f]] = res.message;
      else state.error = res.message || 'Something went wrong. Please try again.';
      render();
      var bad = document.querySelector('[aria-invalid="true"]') || document.getElementById('bl-error');
      if (bad) /** @type {HTMLElement} */ (bad).focus();
    });
  }

  /** An .ics file for "add to calendar", made here from the booking's data. */
  function icsHref(a) {
    var stamp = function (iso) {
      return iso.replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    };
    var esc = function (s) {
      return String(s).replace(/[\\;,]/g, '\\$&').replace(/\n/g, '\\n');
    };
    var lines = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Bookline//Widget//EN',
      'BEGIN:VEVENT',
      'UID:' + a.id + '@bookline',
      'DTSTAMP:' + stamp(new Date().toISOString()),
      'DTSTART:' + stamp(a.start.iso),
      'DTEND:' + stamp(a.end.iso),
      'SUMMARY:' + esc(a.service.name + ' at ' + state.config.business.name),
      'DESCRIPTION:' + esc('With ' + a.staff.name),
      'END:VEVENT',
      'END:VCALENDAR',
    ];
    return 'data:text/calendar;charset=utf-8,' + encodeURIComponent(lines.join('\r\n') + '\r\n');
  }

  function renderDone() {
    var r = state.result;
    var a = r.appointment;
    var sec = h('section', { class: 'done' });
    // A service the business confirms first: held, not booked yet, so no calendar file either.
    var awaiting = a.status === 'awaiting_confirmation';
    sec.appendChild(h('h2', { id: 'bl-done-h', tabindex: '-1' }, awaiting ? 'Request received' : 'You are booked'));
    sec.appendChild(h('p', { id: 'bl-confirmation' }, a.service.name + ' with ' + a.staff.name));
    sec.appendChild(h('p', { class: 'when', id: 'bl-when' }, fullWhen(a.start.iso)));
    sec.appendChild(h('p', null, r.message));
    if (!awaiting) sec.appendChild(h('p', null, h('a', { href: icsHref(a), download: 'appointment.ics', class: 'button', id: 'bl-ics' }, 'Add to calendar (.ics)')));
    if (r.manageUrl) sec.appendChild(h('p', null, h('a', { href: r.manageUrl, target: '_top', id: 'bl-manage' }, 'View, change or cancel this appointment')));
    root.appendChild(sec);
  }

  // ------------------------------------------------------------------------------------------
  // Self-service page

  function loadManage() {
    return request('GET', 'manage/' + encodeURIComponent(boot.token) + '?tz=' + encodeURIComponent(zone)).then(function (res) {
      state.manage = res;
      if (res.ok) {
        state.service = state.config.services.find(function (s) { return s.id === res.appointment.service.id; }) || null;
      }
      render();
    });
  }

  function renderManage() {
    var m = state.manage;
    if (!m) return root.appendChild(h('p', { role: 'status' }, 'Loading…'));
    if (!m.ok) return root.appendChild(h('p', { class: 'error', role: 'alert' }, m.message));
    var a = m.appointment;
    var sec = h('section', { class: 'appt', 'aria-labelledby': 'bl-appt-h' });
    sec.appendChild(h('h2', { id: 'bl-appt-h' }, a.service.name + ' with ' + a.staff.name));
    sec.appendChild(h('p', { class: 'when', id: 'bl-when' }, fullWhen(a.start.iso)));
    sec.appendChild(h('p', { id: 'bl-status' }, 'Status: ' + a.status));
    root.appendChild(sec);
    if (state.done) root.appendChild(h('p', { class: 'notice', role: 'status', id: 'bl-result' }, state.done));
    if (state.error) root.appendChild(h('p', { class: 'error', role: 'alert', id: 'bl-error' }, state.error));
    if (a.status !== 'confirmed') return;
    var actions = h('div', { class: 'actions' });
    actions.appendChild(h('button', { type: 'button', id: 'bl-cancel', class: 'danger', onclick: function () { manageAction('cancel', {}); } }, 'Cancel appointment'));
    actions.appendChild(
      h('button', {
        type: 'button',
        id: 'bl-reschedule',
        onclick: function () {
          state.picking = true;
          setMonthOf(a.start.visitor.date);
          loadMonth();
        },
      }, 'Pick a new time'),
    );
    root.appendChild(actions);
    if (state.picking && state.service) {
      root.appendChild(zoneNote());
      root.appendChild(renderCalendar(function () { render(); var t = document.getElementById('bl-slot-0'); if (t) t.focus(); }));
      if (state.conflict) root.appendChild(renderConflict());
      if (state.date) root.appendChild(renderTimes(function () { render(); var b = document.getElementById('bl-move'); if (b) b.focus(); }));
      if (state.slot) root.appendChild(h('button', { type: 'button', id: 'bl-move', class: 'primary', onclick: function () { manageAction('move', { start: state.slot.iso }); } }, 'Move to ' + fullWhen(state.slot.iso)));
    }
  }

  function manageAction(kind, body) {
    state.error = null;
    request('POST', 'manage/' + encodeURIComponent(boot.token) + '/' + kind, Object.assign({ tz: zone }, body), { 'Idempotency-Key': newKey() }).then(function (res) {
      if (!res.ok) {
        if (res.status === 409 && res.alternatives) state.conflict = { message: res.message, alternatives: res.alternatives };
        else state.error = res.message;
        render();
        var e = document.getElementById('bl-alt-0') || document.getElementById('bl-error');
        if (e) e.focus();
        return;
      }
      state.done = res.message;
      state.picking = false;
      state.slot = null;
      state.date = null;
      state.conflict = null;
      post(kind === 'cancel' ? 'cancelled' : 'rescheduled', { id: res.appointment.id, startTime: res.appointment.start.iso });
      if (kind === 'move' && res.manageUrl && res.manageUrl.indexOf('/a/') >= 0) {
        // A move to another staff member makes a new appointment: its own link from now on.
        var token = res.manageUrl.slice(res.manageUrl.lastIndexOf('/a/') + 3);
        if (token !== boot.token) {
          boot.token = token;
          history.replaceState(null, '', boot.base + '/a/' + token);
        }
      }
      loadManage().then(function () {
        var r = document.getElementById('bl-result');
        if (r) r.setAttribute('tabindex', '-1'), r.focus();
      });
    });
  }

  // ------------------------------------------------------------------------------------------
  // Start

  request('GET', 'config').then(function (cfg) {
    if (!cfg.ok) {
      state.error = cfg.message || 'Booking is not available right now.';
      render();
      return;
    }
    state.config = cfg;
    if (boot.mode === 'manage') {
      state.month = { y: 0, m: 0 };
      loadManage();
      return;
    }
    var wanted = params.get('service');
    state.service =
      cfg.services.find(function (s) { return s.id === wanted || s.name.toLowerCase() === String(wanted).toLowerCase(); }) || cfg.services[0];
    var st = params.get('staff');
    if (st && state.service.staff.some(function (p) { return p.id === st; })) state.staff = st;
    var start = params.get('date') && /^\d{4}-\d{2}-\d{2}$/.test(params.get('date') || '') ? params.get('date') : todayInZone();
    if (start < todayInZone()) start = todayInZone();
    setMonthOf(start);
    if (params.get('date')) state.focusDate = start;
    loadMonth();
  });
  window.addEventListener('resize', reportHeight);
})();
