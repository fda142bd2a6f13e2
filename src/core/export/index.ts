export * from './info';
export * from './safetensors';
export * from './tfjs';
export * from './logits';
