import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type Problem } from './api/client.js';

/** A GET of `path` (null: not yet) with its loading and error states; `reload` fetches it again. */
export function useApi<T>(path: string | null) {
  const [state, setState] = useState<{ data?: T; error?: Problem; loading: boolean }>({ loading: path !== null });
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let current = true;
    setState((previous) => ({ ...previous, loading: true }));
    api<T>('GET', path).then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) => current && setState({ error: problemOf(error), loading: false }),
    );
    return () => {
      current = false;
    };
  }, [path, round]);
  const reload = useCallback(() => setRound((value) => value + 1), []);
  return { ...state, reload };
}

export const problemOf = (error: unknown): Problem =>
  error instanceof ApiError ? error.problem : { title: 'Error', status: 0, detail: error instanceof Error ? error.message : String(error) };

/** Runs an action, keeping its error (shown by the caller) and whether it is running. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Problem>();
  const run = useCallback(async <T,>(action: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await action();
    } catch (caught) {
      setError(problemOf(caught));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(undefined) };
}

export function ProblemBox({ problem }: { problem?: Problem }) {
  if (!problem) return null;
  return (
    <div class="problem" role="alert">
      <strong>
        {problem.title}
        {problem.status ? ` (${problem.status})` : ''}
      </strong>
      {problem.detail && <p>{problem.detail}</p>}
      {problem.errors && (
        <ul>
          {problem.errors.map((item) => (
            <li key={item.path}>
              <code>{item.path}</code>: {item.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Loading, error and empty states around a table or panel. */
export function Loaded<T>(props: { state: { data?: T; error?: Problem; loading: boolean }; empty?: (data: T) => boolean; emptyText?: string; children: (data: T) => ComponentChildren }) {
  const { data, error, loading } = props.state;
  if (error) return <ProblemBox problem={error} />;
  if (data === undefined)
    return loading ? (
      <p class="muted" role="status" aria-live="polite">
        Loading…
      </p>
    ) : null;
  if (props.empty?.(data)) return <p class="empty">{props.emptyText ?? 'Nothing here yet.'}</p>;
  return <>{props.children(data)}</>;
}

export interface Column<T> {
  label: string;
  cell: (row: T) => ComponentChildren;
}

export function Table<T>({ rows, columns, caption, rowKey, testId }: { rows: T[]; columns: Column<T>[]; caption: string; rowKey: (row: T) => string; testId?: string }) {
  return (
    <div class="table-wrap">
      <table data-testid={testId}>
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th scope="col" key={column.label}>
                {column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} data-key={rowKey(row)}>
              {columns.map((column) => (
                <td key={column.label}>{column.cell(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A modal confirmation (native <dialog>: focus trapped, Escape cancels). */
export function Confirm(props: { title: string; children: ComponentChildren; confirmLabel: string; onConfirm: () => void; onCancel: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return (
    <dialog ref={dialog} aria-labelledby="confirm-title" onCancel={props.onCancel}>
      <h2 id="confirm-title">{props.title}</h2>
      {props.children}
      <div class="actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

/** A secret shown once, with a copy button; `what` names it ("key", "signing secret"). */
export function SecretOnce({ secret, onDone, what = 'key' }: { secret: string; onDone: () => void; what?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="notice" role="status">
      <p>
        <strong>Copy this {what} now: it is shown this once and never again.</strong>
      </p>
      <code class="secret" data-testid="new-secret">
        {secret}
      </code>
      <div class="actions">
        <button type="button" onClick={() => void navigator.clipboard.writeText(secret).then(() => setCopied(true), () => setCopied(false))}>
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

export function Field({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <label class="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

export const time = (value: string | null | undefined) => (value ? new Date(value).toISOString().replace('T', ' ').slice(0, 19) : '—');

/** Cursor paging: the cursors of the pages before this one, so Previous works too. */
export function useCursor() {
  const [stack, setStack] = useState<string[]>([]);
  const cursor = stack[stack.length - 1];
  return {
    cursor,
    page: stack.length + 1,
    next: (nextCursor: string) => setStack((previous) => [...previous, nextCursor]),
    previous: () => setStack((previous) => previous.slice(0, -1)),
    reset: () => setStack([]),
  };
}

export function Pager({ paging, nextCursor }: { paging: ReturnType<typeof useCursor>; nextCursor: string | null | undefined }) {
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={paging.page === 1} onClick={paging.previous}>
        Previous
      </button>
      <span>Page {paging.page}</span>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && paging.next(nextCursor)}>
        Next
      </button>
    </nav>
  );
}
