// Errors a browser meets on a page route, in words: the same status as the
// JSON answer a script would get, with a sentence instead of a code.
import { toHoardError, type ErrorCode } from '../../common/protocol/errors.js';
import { html } from './html.js';
import { renderPage, type Shell } from './layout.js';

const WORDS: Partial<Record<ErrorCode, { title: string; text: string }>> = {
  LINK_NOT_FOUND: { title: 'Link not found', text: 'This link does not exist, or the file was deleted.' },
  NO_LIVE_COPY: { title: 'File unavailable', text: 'No storage server holding this file can be reached right now. Try again in a few minutes.' },
  BAD_REQUEST: { title: 'Bad request', text: 'This address is not valid.' },
  ADMIN_ONLY: { title: 'Administrators only', text: 'This page shows the state of the cluster. Sign in with an administrator account to see it.' },
};

export function renderErrorPage(shell: Shell, err: unknown): { status: number; body: string } {
  const e = toHoardError(err);
  // A refusal whose message is written for people (it names the file still downloading).
  // A takedown's message names the notice's public reference.
  const own =
    e.code === 'DOWNLOAD_BUSY'
      ? { title: 'One download at a time', text: e.message }
      : e.code === 'TAKEN_DOWN'
        ? { title: 'Unavailable for legal reasons', text: `This file was taken down in response to a legal notice and cannot be downloaded. ${e.message.replace(/^Unavailable for legal reasons: /, '').replace(/^./, (c) => c.toUpperCase())}.` }
        : undefined;
  const words = own ?? WORDS[e.code] ?? (e.status >= 500 ? { title: 'Something went wrong', text: 'The server could not answer this request. Try again later.' } : { title: 'Request refused', text: e.message });
  const main = html`<h1>${words.title}</h1>
<p class="lead">${words.text}</p>
<p><a class="button" href="/">Upload a file</a></p>`;
  return { status: e.status, body: renderPage(shell, { title: words.title, main, noindex: true }) };
}
