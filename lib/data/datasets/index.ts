/** Annotation readers for the real dataset formats (ARCHITECTURE_SPEC §9.4), in one import. */
export * from './bad-records';
export * from './annotation-file';
export * from './media';
export * from './read-options';
export * from './retrieval-set';
export * from './karpathy-retrieval';
export * from './msrvtt';
export * from './didemo';
export * from './vqa';
export * from './msrvtt-qa';
export * from './coco-caption';
export * from './task-dataset';
