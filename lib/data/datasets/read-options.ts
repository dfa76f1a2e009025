/** Options accepted by every annotation reader. */
import type { BadRecordPolicy } from './bad-records';
import type { MediaOptions } from './media';

export interface AnnotationReadOptions extends MediaOptions {
  /** 'fail' (default) stops at the first bad record with ERR_DATA; 'skip' leaves it out and counts it. */
  onBadRecord?: BadRecordPolicy;
  /** Word limit of the text normalisation (captions: 30 images, 40 video; questions: 50). */
  maxWords?: number;
}
