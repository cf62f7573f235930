/**
 * CRD patterns are Go (RE2) regular expressions; translates the RE2-only syntax they use
 * (leading inline flags, `(?P<name>`, `\\z`) into its JavaScript equivalent.
 *
 * Its `code` is how ajv's ahead-of-time validators (`_compiled-validators.js`, in this folder)
 * load it.
 */
export const goRegExp = Object.assign((pattern: string, flags: string): RegExp => {
  let source = pattern;
  let extraFlags = '';
  const inline = /^(\^?)\(\?([ims]+)\)/.exec(source);
  if (inline) {
    source = inline[1] + source.slice(inline[0].length);
    extraFlags = inline[2];
  }
  source = source.replace(/\(\?P</g, '(?<').replace(/\\z/g, '$');
  return new RegExp(source, [...new Set((flags + extraFlags).split(''))].join(''));
}, { code: 'require("./_go-regexp").goRegExp' });

