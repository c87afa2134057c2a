import type { SqlDialect, SqlFamily } from '@sluice/core';
import { familyOf } from '../sql-dialects';

/**
 * What a read-only analytic query may call, per dialect: aggregates, window functions, string,
 * numeric, date/time, JSON, casts and conditionals. Anything else is refused with its name, so
 * a function that runs SQL text, reads server state or changes it is refused without anyone
 * having to think of it first. Measured against the gold SQL of defog, Spider and BIRD (see
 * sql-guard.gold.int-spec.ts): widen a list only for a function that reads nothing but its
 * arguments.
 */

/** Names separated by white space (comment lines starting with // are left out). */
const words = (text: string): string[] =>
  text
    .split('\n')
    .filter((line) => !line.trim().startsWith('//'))
    .join(' ')
    .split(/\s+/)
    .filter(Boolean);

/**
 * Parsed node types that are syntax rather than calls: queries, clauses, operators, literals,
 * names. Checked by the other rules (names, pii, writes), never refused by this list.
 */
export const SYNTAX_TYPES = new Set(
  words(`
  select union intersect except values subquery paren tuple alias aliases table_alias column
  identifier table star dot literal boolean null data_type interval interval_span time_unit from
  join joined_table lateral where group_by group cube rollup grouping_sets having order_by ordered
  limit offset fetch with cte window window_spec over within_group filter case and or xor not neg
  add sub mul div mod int_div eq neq lt lte gt gte null_safe_eq null_safe_neq like i_like
  similar_to glob concat d_pipe in between is_null is_true is_false is exists any all bitwise_and
  bitwise_or bitwise_xor bitwise_not bitwise_left_shift bitwise_right_shift array subscript
  array_slice array_contains_all array_contained_by array_overlaps member_of overlaps collation
  placeholder parameter describe
  // Writes: allowed or refused by the statement rules (allowMutations), not here.
  insert update delete merge when whens on_conflict returning
`),
);

/** Node types the parser gives to well-known functions (whatever the dialect spelled). */
const TYPED_FUNCTIONS = words(`
  // casts and conditionals
  cast try_cast safe_cast convert coalesce null_if nullif if_func if_null nvl nvl2 equal_null
  typeof
  // aggregates
  count sum avg min max group_concat string_agg list_agg array_agg count_if sum_if stddev
  stddev_pop stddev_samp variance var_pop var_samp median mode any_value logical_and logical_or
  corr covar_samp covar_pop regr_slope regr_intercept regr_r2 regr_count regr_avgx regr_avgy
  regr_sxx regr_sxy regr_syy bitwise_and_agg bitwise_or_agg bitwise_xor_agg json_array_agg
  json_object_agg j_s_o_n_array_agg j_s_o_n_object_agg j_s_o_n_b_object_agg
  // window
  window_function row_number rank dense_rank n_tile ntile lead lag first_value last_value
  nth_value percent_rank cume_dist percentile_cont percentile_disc
  // strings
  concat_ws substring substring_index upper lower length byte_length trim l_trim r_trim replace
  reverse left right repeat lpad rpad pad split_part regexp_like regexp_replace regexp_extract
  regexp_i_like regexp_count regexp_instr overlay position str_position initcap ascii chr
  char_func soundex hex lower_hex unhex unicode contains starts_with ends_with translate
  m_d5_digest format to_char to_number elt
  // numbers
  abs round floor ceil power sqrt cbrt ln log exp sign greatest least mod_func random rand
  trunc_func pi radians degrees sin cos tan asin acos atan atan2 is_nan is_inf width_bucket
  // dates and times
  current_date current_time current_timestamp current_timestamp_l_t_z current_datetime localtime
  localtimestamp at_time_zone date_add date_sub date_diff date_trunc date_bin extract to_date
  to_timestamp date time timestamp datetime date_format format_date year month day hour minute
  second week quarter day_of_week day_of_week_iso day_of_month day_of_year week_of_year dayname
  monthname add_months months_between last_day next_day from_unixtime unix_timestamp make_date
  make_timestamp make_interval timestamp_trunc datetime_add datetime_sub datetime_diff
  datetime_trunc timestamp_add timestamp_sub timestamp_diff time_add time_sub time_diff time_trunc
  str_to_date str_to_time time_to_str time_str_to_time unix_to_time unix_to_str ts_or_ds_to_date
  ts_or_ds_add ts_or_ds_diff
  // JSON (values in, values out)
  json_extract json_extract_scalar json_extract_path json_array json_object json_query json_value
  json_array_length json_keys json_type parse_json to_json j_s_o_n_extract j_s_o_n_extract_scalar
  j_s_o_n_b_extract j_s_o_n_b_extract_scalar j_s_o_n_b_contains j_s_o_n_b_exists
  j_s_o_n_b_contains_all_top_keys j_s_o_n_b_contains_any_top_keys j_s_o_n_object j_s_o_n_array
  j_s_o_n_type j_s_o_n_keys j_s_o_n_array_contains
  // arrays
  array_func array_length array_size cardinality array_contains array_position array_to_string
  string_to_array array_join unnest generate_series exploding_generate_series
`);

/** Functions called by name (the parser keeps no type of its own for them) that every dialect has. */
const COMMON_NAMES = words(`
  abs avg ceil ceiling coalesce concat concat_ws count cume_dist current_date current_time
  current_timestamp date dense_rank exp first_value floor greatest lag last_value lead least
  length ln log lower ltrim max min mod nth_value ntile nullif percent_rank power rank replace
  round row_number rtrim sign sqrt substr substring sum time trim upper pi sin cos tan asin acos
  atan atan2 radians degrees
`);

const POSTGRES_NAMES = words(`
  age now clock_timestamp statement_timestamp transaction_timestamp localtime localtimestamp
  to_char to_date to_timestamp to_number date_part date_trunc date_bin extract make_date make_time
  make_timestamp make_timestamptz make_interval justify_days justify_hours justify_interval
  isfinite timezone split_part string_agg array_agg array_length array_lower array_upper
  array_position array_positions array_to_string string_to_array array_cat array_append
  array_prepend array_remove cardinality unnest generate_series percentile_cont percentile_disc
  mode bool_and bool_or every corr covar_pop covar_samp regr_slope regr_intercept regr_r2
  regr_count stddev stddev_pop stddev_samp variance var_pop var_samp any_value initcap btrim
  strpos position starts_with left right lpad rpad repeat reverse char_length character_length
  octet_length bit_length regexp_replace regexp_match regexp_matches regexp_like regexp_count
  regexp_instr regexp_substr regexp_split_to_array regexp_split_to_table translate md5 format
  ascii chr div cbrt gcd lcm log10 trunc random width_bucket scale trim_scale num_nonnulls
  num_nulls to_json to_jsonb row_to_json json_build_object jsonb_build_object json_build_array
  jsonb_build_array json_agg jsonb_agg json_object_agg jsonb_object_agg json_array_length
  jsonb_array_length json_extract_path json_extract_path_text jsonb_extract_path
  jsonb_extract_path_text json_typeof jsonb_typeof json_array_elements jsonb_array_elements
  json_array_elements_text jsonb_array_elements_text json_each jsonb_each json_each_text
  jsonb_each_text json_object_keys jsonb_object_keys jsonb_pretty jsonb_strip_nulls
  json_strip_nulls
`);

const MYSQL_NAMES = words(`
  ifnull if isnull curdate curtime now sysdate utc_date utc_time utc_timestamp date_format
  time_format str_to_date date_add date_sub adddate subdate addtime subtime datediff timediff
  timestampdiff timestampadd extract year month day dayofmonth dayofweek dayofyear dayname
  monthname hour minute second microsecond week weekday weekofyear quarter yearweek last_day
  makedate maketime from_days to_days to_seconds sec_to_time time_to_sec from_unixtime
  unix_timestamp period_add period_diff convert_tz timestamp locate instr position substring_index
  mid left right lpad rpad repeat space reverse insert lcase ucase char_length character_length
  octet_length bit_length format elt field find_in_set strcmp soundex ascii ord char hex unhex bin
  oct conv md5 sha1 sha2 crc32 regexp_like regexp_replace regexp_substr regexp_instr group_concat
  std stddev stddev_pop stddev_samp variance var_pop var_samp bit_and bit_or bit_xor bit_count
  any_value truncate rand log10 log2 pow cot json_extract json_unquote json_object json_array
  json_arrayagg json_objectagg json_length json_keys json_contains json_contains_path json_type
  json_valid json_value json_depth
`);

const SQLITE_NAMES = words(`
  ifnull iif if instr julianday strftime datetime unixepoch timediff printf format char unicode
  hex unhex quote typeof total group_concat string_agg likely unlikely likelihood glob like
  zeroblob randomblob random octet_length trunc log10 log2 pow json json_extract json_array
  json_object json_array_length json_type json_valid json_quote json_each json_tree
  json_group_array json_group_object
`);

const ALLOWED_NAMES: Record<SqlFamily, Set<string>> = {
  postgresql: new Set([...COMMON_NAMES, ...POSTGRES_NAMES]),
  mysql: new Set([...COMMON_NAMES, ...MYSQL_NAMES]),
  sqlite: new Set([...COMMON_NAMES, ...SQLITE_NAMES]),
};

const TYPED = new Set(TYPED_FUNCTIONS);

/** Node types that carry the name of the function they call. */
export const NAMED_CALL_TYPES = new Set([
  'function',
  'aggregate_function',
  'anonymous',
  'anonymous_agg_func',
  'user_defined_function',
  'method_call',
]);

export const isSyntaxType = (type: string): boolean => SYNTAX_TYPES.has(type);
export const isAllowedTypedFunction = (type: string): boolean => TYPED.has(type);
export const isAllowedFunctionName = (name: string, dialect: SqlDialect): boolean =>
  ALLOWED_NAMES[familyOf(dialect)].has(name.toLowerCase());

/** The schema a qualified call may name: the built-ins' own (`pg_catalog.lower(x)`). */
export const BUILTIN_SCHEMAS: Record<SqlFamily, Set<string>> = {
  postgresql: new Set(['pg_catalog']),
  mysql: new Set(),
  sqlite: new Set(),
};
