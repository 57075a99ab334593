// Copy buttons: the text goes to the clipboard and the button says so for a
// moment. Buttons the server rendered (data-copy="<input id>") are hidden
// until this script shows them, so a page without JavaScript has none.

const SAID_MS = 2_000;

export function wireCopyButton(button: HTMLButtonElement, text: () => string): void {
  const label = button.textContent ?? 'Copy';
  button.addEventListener('click', () => {
    void copyText(text()).then((ok) => {
      button.textContent = ok ? 'Copied' : 'Select and copy';
      setTimeout(() => (button.textContent = label), SAID_MS);
    });
  });
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

export function wireCopyButtons(root: ParentNode): void {
  for (const button of root.querySelectorAll<HTMLButtonElement>('button[data-copy]')) {
    const source = document.getElementById(button.dataset.copy ?? '');
    if (!(source instanceof HTMLInputElement)) continue;
    wireCopyButton(button, () => source.value);
    // A failed copy leaves the text selected, ready for the keyboard.
    button.addEventListener('click', () => source.select());
    button.hidden = false;
  }
}
