// The shapes of quell serve's rule-set answers (crates/quell-server/src/rulesets.rs).

export interface RuleFileView {
  name: string;
  kind: 'base' | 'local';
  contents: string;
}

export interface Provenance {
  rule: string;
  name: string;
  proposer?: string;
  comment?: string;
  expires_ns?: number | null;
  expired: boolean;
}

/** `GET api/v1/rulesets/{version}`: a version as stored. */
export interface StoredVersion {
  version: number;
  author: string;
  at_ns: number;
  comment: string;
  active: boolean;
  files: RuleFileView[];
  exceptions: Provenance[];
}

/** `GET api/v1/rulesets/active`: the active version as in effect now. */
export interface ActiveVersion {
  version: number;
  revision: string;
  author: string;
  at_ns: number;
  comment: string;
  expired: { rule: string; name: string }[];
}

export interface VersionSummary {
  version: number;
  author: string;
  at_ns: number;
  comment: string;
  files: number;
  exceptions: number;
}

/** `GET api/v1/rulesets`: newest first. */
export interface VersionList {
  active: number | null;
  versions: VersionSummary[];
}
