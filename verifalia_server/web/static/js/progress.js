// What the jobs list and a job's page share: a job's progress, and deleting a job after confirmation.

import { call } from './api.js';
import { attempt, confirmAction, duration, el, timespanSeconds } from './ui.js';

/** Entries done out of the total: the overview gives the completed fraction to four decimals. */
export function counts(job) {
  if (job.status === 'Completed') return { done: job.noOfEntries, total: job.noOfEntries };
  const fraction = job.progress ? job.progress.percentage : 0;
  return { done: Math.round(fraction * job.noOfEntries), total: job.noOfEntries };
}

/** A progress bar with the percentage, the counts and, while running, the estimated time left. */
export function progressCell(job) {
  const { done, total } = counts(job);
  const percent = total ? Math.floor((done / total) * 100) : 100;
  const bar = el('progress', { max: total || 1, value: total ? done : 1 });
  bar.setAttribute('aria-label', `${percent}% verified`);
  const parts = [`${percent}%`, `${done} / ${total}`];
  if (job.status === 'InProgress') {
    const eta = job.progress && timespanSeconds(job.progress.estimatedTimeRemaining);
    parts.push(eta === null || eta === undefined ? 'estimating time left' : `about ${duration(eta)} left`);
  }
  return el('div', { class: 'progress' }, bar, el('span', { class: 'progress-text' }, parts.join(' · ')));
}

/** Ask, then DELETE the job; once deleted, the notice to show (otherwise null). */
export async function deleteJob(job) {
  const label = job.name ? `"${job.name}"` : job.id;
  if (!(await confirmAction(`Delete job ${label} and all its results? This cannot be undone.`, 'Delete'))) {
    return null;
  }
  const deleted = await attempt(async () => {
    await call('DELETE', `/email-validations/${job.id}`);
    return true;
  });
  return deleted ? `Job ${label} deleted.` : null;
}
