// Dates in the reader's time zone; every page works without this file.
// A page shows each date as <time datetime="2026-12-07T14:32:00Z" data-local>7 Dec 2026,
// 14:32 UTC</time> (src/web/dates.rs). Here the browser says the same moment where the
// reader is, in the same style: "7 Dec 2026, 15:32 CET"; data-local="day" keeps the day
// only, "7 Dec 2026", the day it was there. Without script the words say UTC.
(function () {
  if (!window.Intl || !Intl.DateTimeFormat || !Intl.DateTimeFormat.prototype.formatToParts) return;
  // Month names as the server writes them (chrono's %b), whatever the browser's language.
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  // The zone's short name in English: an English-speaking reader's own locale knows the
  // names they use ("EST" in en-US); anyone else gets en-GB's ("CET", "BST"), or "GMT+2".
  var lang = navigator.language || '';
  var locale = /^en(-|$)/i.test(lang) ? lang : 'en-GB';
  var format;
  try {
    format = new Intl.DateTimeFormat(locale, {
      year: 'numeric', month: 'numeric', day: 'numeric',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short'
    });
  } catch (e) {
    return;
  }

  function said(date, dayOnly) {
    var p = {};
    format.formatToParts(date).forEach(function (part) { p[part.type] = part.value; });
    var month = MONTHS[parseInt(p.month, 10) - 1];
    if (!month || !p.day || !p.year) return null;
    var day = parseInt(p.day, 10) + ' ' + month + ' ' + p.year;
    if (dayOnly) return day;
    if (!p.hour || !p.minute || !p.timeZoneName) return null;
    // Some engines still write midnight as "24" under hour12: false; h23 asks for "00".
    var hour = p.hour === '24' ? '00' : p.hour;
    return day + ', ' + hour + ':' + p.minute + ' ' + p.timeZoneName;
  }

  function localise() {
    document.querySelectorAll('time[data-local]').forEach(function (el) {
      var date = new Date(el.getAttribute('datetime'));
      if (isNaN(date.getTime())) return;
      var dayOnly = el.getAttribute('data-local') === 'day';
      var text = said(date, dayOnly);
      if (!text || text === el.textContent) return;
      // The UTC words stay at hand, on hover.
      if (!dayOnly && !el.title) el.title = el.textContent;
      el.textContent = text;
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', localise);
  else localise();
})();
