/** A chart read from `charts/<dir>/`, ready to render. Paths are repository-relative with forward slashes. */
export interface Chart {
  /** Directory name under charts/ (what a release's `chart:` names). */
  readonly dir: string;
  /** Repository-relative: `charts/<dir>`. */
  readonly path: string;
  /** Absolute path of the chart directory; only the `file` helper reads through it. */
  readonly root: string;
  readonly metadata: ChartMetadata;
  /** Parsed `values.yaml` (an empty map when absent). */
  readonly values: Readonly<Record<string, unknown>>;
  /** Parsed `values.schema.json`, when the chart has one. */
  readonly schema?: unknown;
  /** `templates/*.yaml`, sorted by file name. */
  readonly templates: readonly ChartSource[];
  /** `templates/_<name>.hbs` as partial `<name>`, sorted by name. */
  readonly partials: readonly (ChartSource & { readonly partial: string })[];
}

export interface ChartMetadata {
  readonly name: string;
  readonly version: string;
  readonly appVersion?: string;
  readonly description?: string;
  readonly kubeVersion?: string;
}

export interface ChartSource {
  /** Repository-relative: `charts/<dir>/templates/<file>`. */
  readonly file: string;
  readonly text: string;
}
