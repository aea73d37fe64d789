// Credits: the balance, and the credits used per day over a chosen period, as a chart.

import { call } from './api.js';
import { usageChart } from './charts.js';
import { attempt, duration, el, field, select, timespanSeconds } from './ui.js';

const PERIODS = [['7', 'Last 7 days'], ['30', 'Last 30 days'], ['90', 'Last 90 days']];

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

/** Every day of the period, with zero for the days the API lists no usage on. */
function everyDay(since, days) {
  const byDate = Object.fromEntries(days.map((day) => [day.date, day]));
  const filled = [];
  for (let day = new Date(since); day <= new Date(); day.setUTCDate(day.getUTCDate() + 1)) {
    const date = isoDay(day);
    filled.push(byDate[date] || { date, creditPacks: 0, freeCredits: 0 });
  }
  return filled;
}

export function renderCredits(root) {
  const state = { stopped: false };
  const balance = el('dl', { class: 'details', id: 'balance' });
  const period = select('usage-period', PERIODS, '30');
  const canvas = el('canvas', { id: 'usage-chart', role: 'img' });
  root.append(
    el('h1', {}, 'Credits'),
    el('section', { class: 'card', 'aria-labelledby': 'balance-title' }, el('h2', { id: 'balance-title' }, 'Balance'), balance),
    el(
      'section',
      { class: 'card', 'aria-labelledby': 'usage-title' },
      el('h2', { id: 'usage-title' }, 'Daily usage'),
      el('form', { class: 'filters', 'aria-label': 'Usage period' }, field('Period', period)),
      el('figure', {}, el('div', { class: 'chart-box wide' }, canvas), el('figcaption', {}, 'Credits used per day (UTC)')),
    ),
  );

  async function loadBalance() {
    const body = await attempt(() => call('GET', '/credits/balance'));
    if (!body || state.stopped) return;
    const reset = timespanSeconds(body.freeCreditsResetIn);
    const rows = [
      ['Credit packs', String(body.creditPacks)],
      ['Free daily credits left', body.freeCredits === null ? 'none' : String(body.freeCredits)],
      ['Free credits reset in', reset === null ? '—' : duration(reset)],
    ];
    balance.replaceChildren(...rows.flatMap(([label, value]) => [el('dt', {}, label), el('dd', {}, value)]));
  }

  async function loadUsage() {
    const since = new Date();
    since.setUTCDate(since.getUTCDate() - Number(period.value) + 1);
    const query = { 'date:since': isoDay(since) };
    const page = await attempt(() => call('GET', '/credits/daily-usage', { query }));
    if (!page || state.stopped) return;
    const days = everyDay(isoDay(since), page.data);
    const used = days.filter((day) => day.creditPacks || day.freeCredits);
    canvas.setAttribute(
      'aria-label',
      used.length
        ? `Credits used per day: ${used.map((day) => `${day.date}: ${day.creditPacks + day.freeCredits}`).join(', ')}`
        : 'No credits used in this period.',
    );
    usageChart(canvas, days);
  }

  period.addEventListener('change', loadUsage);
  loadBalance();
  loadUsage();
  return () => {
    state.stopped = true;
  };
}
