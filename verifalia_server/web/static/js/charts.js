// Charts drawn with Chart.js (installed from npm): classifications, statuses, daily credit usage.

const CLASSIFICATION_COLOURS = {
  Deliverable: '#2e7d32',
  Risky: '#ef6c00',
  Undeliverable: '#c62828',
  Unknown: '#607d8b',
};
const PALETTE = ['#1565c0', '#6a1b9a', '#00838f', '#ad1457', '#558b2f', '#4e342e', '#f9a825', '#283593'];

function chart(canvas, config) {
  const existing = Chart.getChart(canvas);
  if (existing) existing.destroy();
  return new Chart(canvas, {
    ...config,
    options: { animation: false, responsive: true, maintainAspectRatio: false, ...config.options },
  });
}

/** A doughnut of entries per classification ({Deliverable: n, ...}). */
export function classificationChart(canvas, counts) {
  const labels = Object.keys(counts);
  return chart(canvas, {
    type: 'doughnut',
    data: {
      labels,
      datasets: [
        {
          data: labels.map((label) => counts[label]),
          backgroundColor: labels.map((label) => CLASSIFICATION_COLOURS[label] || '#9e9e9e'),
        },
      ],
    },
    options: { plugins: { legend: { position: 'right' } } },
  });
}

/** Horizontal bars of entries per status, coloured by each status's classification. */
export function statusChart(canvas, counts, classificationOf) {
  const labels = Object.keys(counts).sort((a, b) => counts[b] - counts[a]);
  return chart(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          label: 'Entries',
          data: labels.map((label) => counts[label]),
          backgroundColor: labels.map((label) => CLASSIFICATION_COLOURS[classificationOf[label]] || PALETTE[0]),
        },
      ],
    },
    options: {
      indexAxis: 'y',
      plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
}

/** Stacked bars of credit packs and free credits used per day. */
export function usageChart(canvas, days) {
  return chart(canvas, {
    type: 'bar',
    data: {
      labels: days.map((day) => day.date),
      datasets: [
        { label: 'Credit packs', data: days.map((day) => day.creditPacks), backgroundColor: PALETTE[0] },
        { label: 'Free credits', data: days.map((day) => day.freeCredits), backgroundColor: PALETTE[2] },
      ],
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  });
}
