/** A one-line progress bar on a terminal; on anything else (a pipe, a log file) it prints nothing. */

const REDRAW_INTERVAL_MS = 100;

export interface Progress {
  /** Records `done` of `total` complete; redraws at most every REDRAW_INTERVAL_MS. */
  update(done: number): void;
  /** Draws the final state and ends the line. */
  finish(): void;
}

export function progressBar(stream: NodeJS.WritableStream, label: string, total: number): Progress {
  const tty = stream as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  if (!tty.isTTY || total === 0) return { update() {}, finish() {} };
  const started = performance.now();
  let done = 0;
  let drawnAt = -Infinity;
  const draw = () => {
    drawnAt = performance.now();
    const seconds = (drawnAt - started) / 1000;
    const rate = seconds > 0 ? ` ${(done / seconds).toFixed(1)}/s` : '';
    const counts = ` ${done}/${total} ${Math.floor((done / total) * 100)}%${rate}`;
    const width = Math.max(10, Math.min(40, (tty.columns ?? 80) - label.length - counts.length - 4));
    const filled = Math.round((done / total) * width);
    stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]${counts}\u001b[K`);
  };
  return {
    update(value) {
      done = value;
      if (performance.now() - drawnAt >= REDRAW_INTERVAL_MS) draw();
    },
    finish() {
      draw();
      stream.write('\n');
    },
  };
}
