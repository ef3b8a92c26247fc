/** An image named on the command line: a URL or data: URL is sent as is, anything else is a file to read. */
import { imageFromFile, type ImageInput } from '../images.js';

export async function imageArgument(value: string): Promise<ImageInput> {
  if (/^(https?:\/\/|data:)/i.test(value)) return value;
  return imageFromFile(value);
}
