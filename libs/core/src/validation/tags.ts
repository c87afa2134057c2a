/** A tag: letters, digits and `_ - . : /`, starting with a letter or digit (stored lower-case). */
export const TAG_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N}_\-.:/ ]*$/u;
export const TAG_MESSAGE = 'each tag must start with a letter or digit and hold only letters, digits, space and _-.:/';
