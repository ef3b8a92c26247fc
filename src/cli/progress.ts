/** A one-line progress bar, drawn only on a terminal, so that logs and pipes get none of its control characters. */
export interface Progress {
  advance(count: number): void;
  finish(): void;
}

const BAR_WIDTH = 30;

export function progressBar(
  stream: { write(text: string): unknown; isTTY?: boolean },
  total: number,
  unit: string,
): Progress {
  if (!stream.isTTY || total <= 0) return { advance() {}, finish() {} };
  let done = 0;
  const draw = () => {
    const filled = Math.round((done / total) * BAR_WIDTH);
    stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${done}/${total} ${unit}`);
  };
  draw();
  return {
    advance(count) {
      done = Math.min(total, done + count);
      draw();
    },
    finish() {
      stream.write('\n');
    },
  };
}
