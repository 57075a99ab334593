// One file's row in the upload list: its name, a progress bar, a line of
// figures (sent, speed, time left), a status that screen readers hear when
// it changes, and at the end the link with a copy button.
import { wireCopyButton } from './copy.js';
import { formatBytes, formatDuration, formatPercent } from './format.js';

let rows = 0;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

export class UploadRow {
  readonly root: HTMLLIElement;
  private readonly bar: HTMLProgressElement;
  private readonly figures: HTMLParagraphElement;
  private readonly status: HTMLParagraphElement;
  private readonly actions: HTMLDivElement;
  private cancelButton: HTMLButtonElement | undefined;

  constructor(
    private readonly file: File,
    onCancel: () => void,
  ) {
    const n = ++rows;
    const nameId = `upload-${n}-name`;
    this.bar = el('progress', { max: 100, value: 0 });
    this.bar.setAttribute('aria-labelledby', nameId);
    this.figures = el('p', { className: 'figures' });
    this.status = el('p', { className: 'status' });
    this.status.setAttribute('role', 'status');
    this.cancelButton = el('button', { type: 'button', className: 'button quiet', textContent: 'Cancel' });
    this.cancelButton.setAttribute('aria-label', `Cancel ${file.name}`);
    this.cancelButton.addEventListener('click', onCancel);
    this.actions = el('div', { className: 'row-actions' }, this.cancelButton);
    this.root = el(
      'li',
      { className: 'upload' },
      el('div', { className: 'row-head' }, el('p', { className: 'name', id: nameId, textContent: file.name }), el('p', { className: 'size', textContent: formatBytes(file.size) })),
      this.bar,
      this.figures,
      this.status,
      this.actions,
    );
    this.say('Waiting');
  }

  private say(text: string): void {
    if (this.status.textContent !== text) this.status.textContent = text;
  }

  private show(fraction: number, figures: string): void {
    this.bar.value = Math.max(0, Math.min(100, fraction * 100));
    this.figures.textContent = figures;
  }

  hashing(done: number): void {
    this.say('Hashing');
    this.show(this.file.size ? done / this.file.size : 1, `Hashing: ${formatPercent(done, this.file.size)}`);
    this.root.dataset.state = 'hashing';
  }

  resumed(offset: number): void {
    this.say(`Resuming at ${formatPercent(offset, this.file.size)}`);
    this.root.dataset.resumedAt = String(offset);
  }

  sending(offset: number, speed: number | undefined, secondsLeft: number | undefined): void {
    this.root.dataset.state = 'sending';
    if (this.status.textContent === 'Waiting' || this.status.textContent === 'Hashing') this.say('Uploading');
    const parts = [`${formatBytes(offset)} of ${formatBytes(this.file.size)}`];
    if (speed !== undefined) parts.push(`${formatBytes(speed)}/s`);
    const left = formatDuration(secondsLeft);
    if (left !== undefined) parts.push(`${left} left`);
    this.show(this.file.size ? offset / this.file.size : 1, parts.join(' · '));
  }

  verifying(): void {
    this.say('Checking what the cluster stored');
  }

  done(link: string, early: boolean, sent: number): void {
    this.root.dataset.state = early ? 'early' : 'done';
    this.show(1, early ? `Sent ${formatBytes(sent)} of ${formatBytes(this.file.size)}` : `Sent ${formatBytes(this.file.size)}`);
    this.say(early ? `Already stored: ${formatPercent(sent, this.file.size)} sent` : 'Done');
    const a = el('a', { href: link, className: 'link', textContent: link });
    const copy = el('button', { type: 'button', className: 'button', textContent: 'Copy link' });
    copy.setAttribute('aria-label', `Copy the link to ${this.file.name}`);
    wireCopyButton(copy, () => link);
    this.actions.replaceChildren(a, copy);
    this.cancelButton = undefined;
  }

  failed(message: string): void {
    this.root.dataset.state = 'failed';
    this.say(`Failed: ${message}. Choose the file again to resume.`);
    this.actions.replaceChildren();
  }

  cancelled(): void {
    this.root.dataset.state = 'cancelled';
    this.say('Cancelled');
    this.figures.textContent = '';
    this.actions.replaceChildren();
  }
}
