import type { Child } from 'hono/jsx';
import { CsrfField, Flash, Layout } from './layout.tsx';

/** Props of {@link LoginPage}. */
export interface LoginPageProps {
  base: string;
  brand: string;
  heading: string;
  /** What to paste, e.g. "Admin token". */
  label: string;
  hint: string;
  csrf: string;
  error?: string;
  notice?: string;
  /** Other ways to sign in, shown after the form. */
  children?: Child;
}

/** A sign-in form with one secret field, posted to `${base}/login`; the secret never goes in a URL. */
export function LoginPage(props: LoginPageProps) {
  return (
    <Layout title="Sign in" base={props.base} brand={props.brand}>
      <h1>{props.heading}</h1>
      <Flash error={props.error} notice={props.notice} />
      <form method="post" action={`${props.base}/login`} class="panel" autocomplete="off">
        <CsrfField token={props.csrf} />
        <p>
          <label>
            {props.label}
            <input type="password" name="credential" required autofocus size={60} maxlength={4096} autocomplete="off" />
          </label>
        </p>
        <p class="muted">{props.hint}</p>
        <button type="submit">Sign in</button>
      </form>
      {props.children}
    </Layout>
  );
}
