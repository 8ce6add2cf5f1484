import type { Child } from 'hono/jsx';

/** A link in a page's header. */
export interface NavLink {
  href: string;
  label: string;
}

/** Props of {@link Layout}. */
export interface LayoutProps {
  title: string;
  /** Where the pages live: `/console` or `/portal`; assets and logout are under it. */
  base: string;
  brand: string;
  nav?: NavLink[];
  /** The session's CSRF token; with it, the header has a sign-out button. */
  csrf?: string;
  children?: Child;
}

/** The page shell: header with navigation and sign-out, the stylesheet, and the copy-button script. */
export function Layout(props: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${props.title} · ${props.brand}`}</title>
        <link rel="icon" href={`${props.base}/assets/icon.svg`} type="image/svg+xml" />
        <link rel="stylesheet" href={`${props.base}/assets/app.css`} />
        <script src={`${props.base}/assets/app.js`} defer></script>
      </head>
      <body>
        <header>
          <strong>{props.brand}</strong>
          <nav aria-label="Main">
            {(props.nav ?? []).map((link) => (
              <a href={link.href}>{link.label}</a>
            ))}
          </nav>
          {props.csrf !== undefined && (
            <form method="post" action={`${props.base}/logout`}>
              <input type="hidden" name="csrf" value={props.csrf} />
              <button type="submit" class="secondary">
                Sign out
              </button>
            </form>
          )}
        </header>
        <main>{props.children}</main>
      </body>
    </html>
  );
}

/** A hidden CSRF field for a form. */
export function CsrfField(props: { token: string }) {
  return <input type="hidden" name="csrf" value={props.token} />;
}

/** A form of one danger-styled button that posts to `action` with the session's CSRF token (revoke, remove): works without JavaScript. */
export function DangerButton(props: { action: string; csrf: string; label: string; children: string }) {
  return (
    <form method="post" action={props.action}>
      <CsrfField token={props.csrf} />
      <button type="submit" class="danger" aria-label={props.label}>
        {props.children}
      </button>
    </form>
  );
}

/** A message shown above a page's content: a notice, or an error saying what failed. */
export function Flash(props: { notice?: string; error?: string }) {
  return (
    <>
      {props.notice && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      {props.error && (
        <p class="error" role="alert">
          {props.error}
        </p>
      )}
    </>
  );
}
