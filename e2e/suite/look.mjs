// What the suite checks on every page of Vestibule a scenario visits: axe finds no serious
// or critical violation, the page fits a 360 px wide phone without sideways scrolling, and a
// screenshot at 1280 px and at 360 px is saved for a person to look at.
import fs from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { e2eDir } from './processes.mjs';

export const screenshotDir = path.join(e2eDir, 'screenshots');

export class Inspector {
  constructor(run) {
    this.run = run; // "sqlite" or "postgres": a prefix for the screenshots
    this.problems = [];
    this.checked = new Set();
    this.visited = new Map();
    this.count = 0;
    fs.mkdirSync(screenshotDir, { recursive: true });
  }

  /** Remembers every page of `origin` the browser lands on, to prove none went unchecked. */
  watch(page, origin) {
    page.on('framenavigated', (frame) => {
      if (frame !== page.mainFrame()) return;
      const url = new URL(frame.url());
      if (url.origin === origin) this.visited.set(url.pathname, url.href);
    });
  }

  /** Checks the page the browser shows now; `name` names its screenshots. */
  async look(page, name) {
    await page.waitForLoadState('load');
    this.checked.add(new URL(page.url()).pathname);
    const results = await new AxeBuilder({ page }).analyze();
    for (const v of results.violations.filter((v) => ['serious', 'critical'].includes(v.impact))) {
      const where = v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ');
      this.problems.push(`${name} (${page.url()}): axe ${v.impact} ${v.id}: ${v.help} at ${where}`);
    }
    this.count += 1;
    const file = (w) => path.join(screenshotDir, `${this.run}-${String(this.count).padStart(2, '0')}-${name}-${w}.png`);
    const size = page.viewportSize();
    await page.screenshot({ path: file(1280), fullPage: true });
    await page.setViewportSize({ width: 360, height: 780 });
    const overflow = await page.evaluate(() => {
      const extra = document.documentElement.scrollWidth - window.innerWidth;
      // Name the outermost elements that stick out, so the report says what to fix.
      const culprits = [...document.body.querySelectorAll('*')]
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
        .filter((el, _, all) => !all.includes(el.parentElement))
        .slice(0, 3)
        .map((el) => `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(' ').join('.')}` : ''}`);
      return { extra, culprits };
    });
    if (overflow.extra > 0) {
      this.problems.push(`${name} (${page.url()}): ${overflow.extra} px wider than a 360 px screen (${overflow.culprits.join(', ')})`);
    }
    for (const problem of await page.evaluate(phoneLayoutProblems)) {
      this.problems.push(`${name} (${page.url()}): at 360 px ${problem}`);
    }
    await page.screenshot({ path: file(360), fullPage: true });
    await page.setViewportSize(size);
  }

  /** Checks a mail's HTML part as a phone shows it: nothing wider than 360 px, and a
   * screenshot beside the pages'. */
  async lookAtMail(context, mail, name) {
    if (!mail.html) {
      this.problems.push(`mail ${name}: no HTML part`);
      return;
    }
    const page = await context.newPage();
    try {
      await page.setViewportSize({ width: 360, height: 780 });
      await page.setContent(mail.html, { waitUntil: 'load' });
      const extra = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (extra > 0) this.problems.push(`mail ${name}: ${extra} px wider than a 360 px screen`);
      this.count += 1;
      const file = path.join(screenshotDir, `${this.run}-${String(this.count).padStart(2, '0')}-mail-${name}-360.png`);
      await page.screenshot({ path: file, fullPage: true });
    } finally {
      await page.close();
    }
  }

  /** Pages the browser showed that no `look` covered. */
  unchecked() {
    return [...this.visited].filter(([p]) => !this.checked.has(p)).map(([, href]) => href);
  }
}

/** Runs in the page at 360 px: an admin page's heading is on the first screen (menus fold
 * away), and no table cell with text is narrower than six characters of its own font. */
function phoneLayoutProblems() {
  const problems = [];
  const h1 = document.querySelector('main h1');
  if (location.pathname.startsWith('/admin') && h1 && h1.getBoundingClientRect().bottom > window.innerHeight) {
    problems.push(`the heading ends at ${Math.round(h1.getBoundingClientRect().bottom)} px, below the first screen`);
  }
  const canvas = document.createElement('canvas').getContext('2d');
  for (const cell of document.querySelectorAll('main td, main th')) {
    if (!cell.textContent.trim() || cell.getClientRects().length === 0) continue;
    // Card tables keep their headings for screen readers only, in a 1 px box.
    if (cell.closest('table.cards thead')) continue;
    const style = getComputedStyle(cell);
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const six = canvas.measureText('000000').width;
    const inner = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    // Squeezed: narrower than six characters while its text has to wrap (a short word such
    // as "Status" that fits on its line is not).
    const text = canvas.measureText(cell.textContent.trim()).width;
    if (inner + 0.5 < six && text > inner + 1) {
      problems.push(`a table cell is ${Math.round(inner)} px wide, narrower than six characters: “${cell.textContent.trim().slice(0, 30)}”`);
      break;
    }
  }
  return problems;
}
