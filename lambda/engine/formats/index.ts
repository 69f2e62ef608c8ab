import { accReader } from './acc.js';
import { baresipReader } from './baresip.js';
import { chanSipReaders } from './chan-sip.js';
import { freeswitchReader } from './freeswitch.js';
import { jainSipXmlReader } from './jain-sip-xml.js';
import { kamailioLogReader } from './kamailio-log.js';
import { ngrepReader } from './ngrep.js';
import { pjsipReader } from './pjsip.js';
import { sipdumpReader } from './sipdump.js';
import { sippReader } from './sipp.js';
import { sippCallDebugReader } from './sipp-calldebug.js';
import { sippErrorsReader } from './sipp-errors.js';
import { sippShortReader } from './sipp-short.js';
import { sngrepReader } from './sngrep.js';
import { tcpdumpAsciiReader } from './tcpdump-ascii/index.js';
import type { TextFormatReader } from './text-format.js';

/** Every text log format the scanner knows, tried in this order on a candidate line. */
export const TEXT_FORMAT_READERS: readonly TextFormatReader[] = [
  // before ngrep: a baresip trace without its colours opens each entry with a `#` line, as ngrep separates packets
  baresipReader,
  ngrepReader,
  sippReader,
  sippShortReader,
  sippCallDebugReader,
  sippErrorsReader,
  sipdumpReader,
  pjsipReader,
  ...chanSipReaders,
  freeswitchReader,
  tcpdumpAsciiReader,
  accReader,
  jainSipXmlReader,
  sngrepReader,
  kamailioLogReader,
];
