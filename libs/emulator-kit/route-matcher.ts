/** The request line a route answers: a method and a path template. */
export interface RouteSpec {
  method: string;
  /**
   * `{name}` segments capture `params.name`. A capture never spans `/` or
   * `:`, so Azure- and Google-style custom methods
   * (`/sessions/{id}:stop`) route separately from the resource itself.
   */
  path: string;
}

export interface RouteMatch<R extends RouteSpec> {
  route: R;
  /** Captured segments, URL-decoded. */
  params: Record<string, string>;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^$()|[\]\\]/g, '\\$&');

/** Compiles `routes` once; the returned function finds the first route matching a method and path. */
export function routeMatcher<R extends RouteSpec>(routes: readonly R[]): (method: string, pathname: string) => RouteMatch<R> | undefined {
  const compiled = routes.map((route) => {
    const names: string[] = [];
    const source = route.path
      .split(/(\{\w+\})/)
      .map((part) => {
        const name = /^\{(\w+)\}$/.exec(part)?.[1];
        if (!name) return escapeRegExp(part);
        names.push(name);
        return '([^/:]+)';
      })
      .join('');
    return { route, names, pattern: new RegExp(`^${source}$`) };
  });
  return (method, pathname) => {
    for (const { route, names, pattern } of compiled) {
      const found = route.method === method ? pattern.exec(pathname) : null;
      if (found) return { route, params: Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(found[index + 1])])) };
    }
    return undefined;
  };
}
