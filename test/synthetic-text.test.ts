/**
 * Captions and questions of the synthetic data set, checked by parsing them back with a parser written
 * here independently of the grammar: every caption must be true of its scene and every answer right.
 */
import { imageCaptions, videoCaptions } from '../lib/tools/synthetic/captions';
import { Prng } from '../lib/tools/synthetic/prng';
import { imageQuestions, questionType, simulateAnswers, videoQuestions, ANSWERS_BY_KIND, QUESTION_TYPES } from '../lib/tools/synthetic/questions';
import { resolveSyntheticOptions } from '../lib/tools/synthetic/options';
import { sampleImageScene, sampleVideoScene, sceneSignature, shapeTwin, type Scene, type SceneObject } from '../lib/tools/synthetic/scene';
import { PATTERN_WORDS } from '../lib/tools/synthetic/vocab';

const COLOR_WORDS = ['red', 'green', 'blue', 'yellow', 'purple', 'orange', 'white'];
const SHAPE_WORDS = ['circle', 'square', 'triangle', 'star', 'cross', 'diamond'];
const SIZE_OF: Record<string, string> = { small: 'small', little: 'small', large: 'large', big: 'large' };
const PLURAL_OF: Record<string, string> = {
  circles: 'circle',
  squares: 'square',
  triangles: 'triangle',
  stars: 'star',
  crosses: 'cross',
  diamonds: 'diamond',
};
const NP = new RegExp(`\\b(?:(small|little|large|big) )?(${COLOR_WORDS.join('|')}) (${SHAPE_WORDS.join('|')})\\b`, 'g');

/** The grid cell a position phrase names: top/bottom pick the row, left/right the column, else the middle. */
function cellOf(phrase: string): [number, number] {
  const w = phrase.split(/\s+/);
  const row = w.includes('top') ? 0 : w.includes('bottom') ? 2 : 1;
  const col = w.includes('left') ? 0 : w.includes('right') ? 2 : 1;
  if (row === 1 && col === 1) expect(w.some((x) => x === 'center' || x === 'middle')).toBe(true);
  return [row, col];
}

const cellName = (o: SceneObject) =>
  ['top left', 'top', 'top right', 'left', 'center', 'right', 'bottom left', 'bottom', 'bottom right'][o.row * 3 + o.col];

/** Every noun phrase in `text` must name an object of the scene, with the right size when one is given. */
function checkNounPhrases(text: string, scene: Scene): SceneObject[] {
  const found: SceneObject[] = [];
  for (const m of text.matchAll(NP)) {
    const o = scene.objects.find((p) => p.color === m[2] && p.shape === m[3]);
    expect({ text, np: m[0], found: o !== undefined }).toEqual({ text, np: m[0], found: true });
    if (m[1] !== undefined) expect({ text, size: SIZE_OF[m[1]] }).toEqual({ text, size: o!.size });
    found.push(o!);
  }
  return found;
}

function objectByWords(scene: Scene, color: string | undefined, shape: string | undefined): SceneObject {
  const c = scene.objects.filter((o) => (color === undefined || o.color === color) && (shape === undefined || o.shape === shape));
  expect(c).toHaveLength(1); // the question must be unambiguous
  return c[0];
}

function objectAt(scene: Scene, phrase: string): SceneObject {
  const [row, col] = cellOf(phrase);
  const c = scene.objects.filter((o) => o.row === row && o.col === col);
  expect(c).toHaveLength(1);
  return c[0];
}

/** Answers an image question from the scene alone. */
function solveImage(q: string, scene: Scene): string {
  const objs = scene.objects;
  let m: RegExpMatchArray | null;
  const yn = (b: boolean) => (b ? 'yes' : 'no');
  if (/^what (color is the background|is the background color)\?$/.test(q)) return scene.background.color;
  if ((m = q.match(/^what (?:color is|is the color of) the (\w+)\?$/))) return objectByWords(scene, undefined, m[1]).color;
  if ((m = q.match(/^what color is the (?:shape|object) (.+)\?$/))) return objectAt(scene, m[1]).color;
  if ((m = q.match(/^(?:what|which) shape is (?!the )(.+)\?$/))) return objectAt(scene, m[1]).shape;
  if ((m = q.match(/^what (?:shape is|is the shape of) the (\w+) object\?$/))) return objectByWords(scene, m[1], undefined).shape;
  if (/^how many (objects are there|shapes are there|shapes can you see)\?$/.test(q)) return String(objs.length);
  if ((m = q.match(/^how many (\w+) objects are there\?$/))) return String(objs.filter((o) => o.color === m![1]).length);
  if ((m = q.match(/^how many (\w+) are there\?$/))) return String(objs.filter((o) => o.shape === PLURAL_OF[m![1]]).length);
  if ((m = q.match(/^is the (\w+) (small|little|large|big)\?$/))) return yn(objectByWords(scene, undefined, m[1]).size === SIZE_OF[m[2]]);
  if ((m = q.match(/^(?:what size is the (\w+)|is the (\w+) small or large)\?$/))) return objectByWords(scene, undefined, m[1] ?? m[2]).size!;
  if ((m = q.match(/^is there an? (\w+) (\w+)\?$/))) return yn(objs.some((o) => o.color === m![1] && o.shape === m![2]));
  if ((m = q.match(/^where is the (\w+) (\w+)\?$/))) return cellName(objectByWords(scene, m[1], m[2]));
  if ((m = q.match(/^is the (\w+) ((?:in|at|on|near) .+)\?$/))) {
    const o = objectByWords(scene, undefined, m[1]);
    const [row, col] = cellOf(m[2]);
    return yn(o.row === row && o.col === col);
  }
  throw new Error(`unparsed image question: ${q}`);
}

const DIRECTION_WORDS: Record<string, string[]> = {
  right: ['to the right', 'moving right', 'left to right', 'heading right'],
  left: ['to the left', 'moving left', 'right to left', 'heading left'],
  up: ['moving up', 'upward', 'rising', 'bottom to the top', 'heading up'],
  down: ['moving down', 'downward', 'falling', 'top to the bottom', 'heading down'],
  growing: ['growing', 'getting bigger', 'expanding'],
  shrinking: ['shrinking', 'getting smaller', 'becoming smaller'],
  still: ['staying still', 'not moving', 'standing still', 'resting'],
};

/** Answers a video question from the scene alone. */
function solveVideo(q: string, scene: Scene): string {
  const objs = scene.objects;
  const first = objs[0];
  const yn = (b: boolean) => (b ? 'yes' : 'no');
  const translating = ['left', 'right', 'up', 'down'].includes(first.motion);
  let m: RegExpMatchArray | null;
  if (/^what (color is the background|is the background color)\?$/.test(q)) return scene.background.color;
  if ((m = q.match(/^what (?:color is|is the color of) the (\w+)\?$/))) return objectByWords(scene, undefined, m[1]).color;
  if (/^what color is the (moving object|shape that moves)\?$/.test(q)) {
    expect(translating).toBe(true);
    return first.color;
  }
  if ((m = q.match(/^what color is the (growing|shrinking) shape\?$/))) {
    expect(first.motion).toBe(m[1]);
    return first.color;
  }
  if ((m = q.match(/^(?:what|which) shape is (moving|growing|shrinking)\?$/))) {
    expect(m[1] === 'moving' ? translating : first.motion === m[1]).toBe(true);
    return first.shape;
  }
  if ((m = q.match(/^(?:which direction is the (\w+) (\w+) moving|where is the (\w+) (\w+) going)\?$/))) {
    const o = objectByWords(scene, m[1] ?? m[3], m[2] ?? m[4]);
    return o.motion;
  }
  if ((m = q.match(/^is the (\w+) (\w+) moving (left|right|up|down)\?$/))) return yn(objectByWords(scene, m[1], m[2]).motion === m[3]);
  if ((m = q.match(/^is the (\w+) (\w+) (growing|getting bigger|shrinking|getting smaller)\?$/))) {
    const grow = m[3] === 'growing' || m[3] === 'getting bigger';
    return yn(objectByWords(scene, m[1], m[2]).motion === (grow ? 'growing' : 'shrinking'));
  }
  if ((m = q.match(/^is the (\w+) moving\?$/))) {
    const o = objectByWords(scene, undefined, m[1]);
    return yn(['left', 'right', 'up', 'down'].includes(o.motion));
  }
  if ((m = q.match(/^what is the (\w+) doing\?$/))) {
    const o = objectByWords(scene, undefined, m[1]);
    return ['left', 'right', 'up', 'down'].includes(o.motion) ? `moving ${o.motion}` : o.motion === 'still' ? 'not moving' : o.motion;
  }
  if (/^how many (objects are there|shapes are there|shapes can you see)\?$/.test(q)) return String(objs.length);
  throw new Error(`unparsed video question: ${q}`);
}

describe('synthetic captions', () => {
  test('image captions only say true things; the first names every attribute', () => {
    let relations = 0;
    let located = 0;
    for (let i = 0; i < 300; i++) {
      const scene = sampleImageScene(Prng.fromKey('captions', i), { maxObjects: 3 });
      const caps = imageCaptions(scene, Prng.fromKey('captions-text', i), 5);
      expect(caps).toHaveLength(5);
      expect(new Set(caps).size).toBe(5);
      for (const c of caps) {
        expect(c).toMatch(/^[a-z ,:]+$/);
        const nps = checkNounPhrases(c, scene);
        expect(nps.length).toBeGreaterThan(0);
        const bg = c.match(/(\w+) (?:background|image with)/);
        if (bg && ['gray', 'black', 'brown', 'beige'].includes(bg[1])) expect(bg[1]).toBe(scene.background.color);
        // Relations.
        for (const m of c.matchAll(new RegExp(`(${COLOR_WORDS.join('|')}) (\\w+) (above|below|to the left of|to the right of|next to) (?:a|an) (?:(?:small|little|large|big) )?(${COLOR_WORDS.join('|')}) (\\w+)`, 'g'))) {
          const a = objectByWords(scene, m[1], m[2]);
          const b = objectByWords(scene, m[4], m[5]);
          const ok = { above: a.row < b.row, below: a.row > b.row, 'to the left of': a.col < b.col, 'to the right of': a.col > b.col, 'next to': Math.abs(a.row - b.row) + Math.abs(a.col - b.col) === 1 }[m[3]];
          expect({ c, ok }).toEqual({ c, ok: true });
          relations++;
        }
        // Located noun phrases: "<np> in the top left corner", "<np> on the left", ...
        for (const m of c.matchAll(new RegExp(`(${COLOR_WORDS.join('|')}) (\\w+) ((?:in|at|on|near) the [a-z ]+?)(?= and|,| on a|$)`, 'g'))) {
          const o = objectByWords(scene, m[1], m[2]);
          expect({ c, cell: cellOf(m[3]) }).toEqual({ c, cell: [o.row, o.col] });
          located++;
        }
        // Leading location: "on the left, there is ..."
        const lead = c.match(/^((?:in|at|on|near) the [a-z ]+), there is/);
        if (lead) expect(cellOf(lead[1])).toEqual([scene.objects[0].row, scene.objects[0].col]);
      }
      // The canonical caption names every object with its size and a location.
      const first = caps[0];
      for (const o of scene.objects) expect(first).toContain(`${o.size} ${o.color} ${o.shape} `);
    }
    expect(relations).toBeGreaterThan(50);
    expect(located).toBeGreaterThan(500);
  });

  test('video captions say how the first object moves', () => {
    for (let i = 0; i < 300; i++) {
      const scene = sampleVideoScene(Prng.fromKey('vcaptions', i), { frames: 8 });
      const caps = videoCaptions(scene, Prng.fromKey('vcaptions-text', i), 4);
      expect(new Set(caps).size).toBe(4);
      const first = scene.objects[0];
      for (const c of caps) {
        checkNounPhrases(c, scene);
        expect(c).toContain(`${first.color} ${first.shape}`);
        const said = Object.entries(DIRECTION_WORDS)
          .filter(([, words]) => words.some((w) => c.includes(w)))
          .map(([k]) => k);
        expect({ c, said }).toEqual({ c, said: [first.motion] });
      }
      // The canonical caption places the mover: its row for horizontal motion, column for vertical.
      const lane = caps[0].match(/(along|across|through) the (top|middle|bottom)/);
      if (first.motion === 'left' || first.motion === 'right') expect(lane?.[2]).toBe(['top', 'middle', 'bottom'][first.row]);
      if (first.size !== null) expect(caps[0]).toContain(`${first.size} ${first.color} ${first.shape}`);
    }
  });

  test('canonical captions tell apart scenes with different signatures', () => {
    const byCaption = new Map<string, string>();
    for (let i = 0; i < 400; i++) {
      const scene = sampleImageScene(Prng.fromKey('unique', i));
      const sig = sceneSignature(scene).replace(/^\w+\|/, ''); // captions need not name the background
      const cap = imageCaptions(scene, Prng.fromKey('unique-text', i), 1)[0];
      if (byCaption.has(cap)) expect(byCaption.get(cap)).toBe(sig);
      byCaption.set(cap, sig);
    }
  });

  test('a shape twin differs from its scene in exactly one object, and only in its shape; looks stay distinct', () => {
    const changedShapes = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const scene = sampleImageScene(Prng.fromKey('twin-scene', i), { maxObjects: 3 });
      const before = JSON.stringify(scene);
      const twin = shapeTwin(scene, Prng.fromKey('twin', i));
      expect(JSON.stringify(scene)).toBe(before); // the original is left as it was
      expect(twin.background).toEqual(scene.background);
      const diffs = twin.objects.map((o, k) => [o, scene.objects[k]] as const).filter(([o, s]) => JSON.stringify(o) !== JSON.stringify(s));
      expect(diffs).toHaveLength(1);
      const [o, s] = diffs[0];
      expect(o.shape).not.toBe(s.shape);
      expect({ ...o, shape: s.shape }).toEqual(s);
      const looks = twin.objects.map((x) => `${x.shape}/${x.color}`);
      expect(new Set(looks).size).toBe(looks.length);
      // Captions drawn with the same generator differ only where the shape is named.
      const a = imageCaptions(scene, Prng.fromKey('twin-text', i), 3);
      const b = imageCaptions(twin, Prng.fromKey('twin-text', i), 3);
      for (let k = 0; k < 3; k++) {
        const wa = a[k].replace(/[,:]/g, '').split(' ');
        const wb = b[k].replace(/[,:]/g, '').split(' ');
        expect(wb).toHaveLength(wa.length);
        for (let w = 0; w < wa.length; w++) {
          if (wa[w] === wb[w]) continue;
          const article = (x: string) => x === 'a' || x === 'an';
          expect(SHAPE_WORDS.includes(wa[w]) || article(wa[w])).toBe(true);
          expect(SHAPE_WORDS.includes(wb[w]) || article(wb[w])).toBe(true);
        }
      }
      changedShapes.add(`${s.shape}>${o.shape}`);
    }
    expect(changedShapes.size).toBeGreaterThan(20); // every shape turns into most others
  });
});

describe('synthetic questions', () => {
  test('image answers are right (re-derived from the scene by an independent parser)', () => {
    const kinds = new Map<string, number>();
    const yes = { yes: 0, no: 0 };
    for (let i = 0; i < 400; i++) {
      const scene = sampleImageScene(Prng.fromKey('vqa', i), { maxObjects: 3 });
      const qas = imageQuestions(scene, Prng.fromKey('vqa-q', i), 4);
      expect(qas).toHaveLength(4);
      expect(new Set(qas.map((q) => q.question)).size).toBe(4);
      for (const qa of qas) {
        expect({ q: qa.question, a: solveImage(qa.question, scene) }).toEqual({ q: qa.question, a: qa.answer });
        expect(ANSWERS_BY_KIND[qa.kind]).toContain(qa.answer);
        kinds.set(qa.kind, (kinds.get(qa.kind) ?? 0) + 1);
        if (qa.kind === 'yesno') yes[qa.answer as 'yes' | 'no']++;
      }
    }
    expect([...kinds.keys()].sort()).toEqual(['background', 'color', 'count', 'position', 'shape', 'size', 'yesno']);
    expect(yes.yes / (yes.yes + yes.no)).toBeGreaterThan(0.4);
    expect(yes.yes / (yes.yes + yes.no)).toBeLessThan(0.6);
  });

  test('with patterns, the background pattern is named truly in captions and asked about; without, the output is unchanged', () => {
    const kinds = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const scene = sampleImageScene(Prng.fromKey('patterns', i), { maxObjects: 2 });
      const word = PATTERN_WORDS[scene.background.texture];
      const plain = imageCaptions(scene, Prng.fromKey('patterns-text', i), 4);
      const named = imageCaptions(scene, Prng.fromKey('patterns-text', i), 4, { patterns: true });
      expect(named[0]).toBe(`${plain[0]} on a ${word} background`);
      for (const [k, c] of named.entries()) {
        checkNounPhrases(c, scene);
        for (const w of Object.values(PATTERN_WORDS)) if (w !== word) expect(c.split(' ')).not.toContain(w);
        if (k > 0 && c.includes(' background')) expect(c).toContain(`${word} ${scene.background.color} background`);
      }
      const qas = imageQuestions(scene, Prng.fromKey('patterns-q', i), 4, { patterns: true });
      for (const qa of qas) {
        kinds.set(qa.kind, (kinds.get(qa.kind) ?? 0) + 1);
        const asked = qa.question.match(/^what (?:pattern is the background|is the pattern of the background)\?$/);
        if (asked) expect(qa.answer).toBe(word);
        const yn = qa.question.match(/^is the background (\w+)\?$/);
        if (yn) expect(qa.answer).toBe(yn[1] === word ? 'yes' : 'no');
        if (!asked && !yn) expect({ q: qa.question, a: solveImage(qa.question, scene) }).toEqual({ q: qa.question, a: qa.answer });
        expect(ANSWERS_BY_KIND[qa.kind]).toContain(qa.answer);
      }
      expect(imageQuestions(scene, Prng.fromKey('patterns-q', i), 4, { patterns: false })).toEqual(imageQuestions(scene, Prng.fromKey('patterns-q', i), 4));
    }
    expect(kinds.get('pattern')).toBeGreaterThan(50);
    expect(ANSWERS_BY_KIND.pattern).toEqual(['plain', 'speckled', 'striped', 'shaded']);
  });

  test('QUESTION_TYPES lists exactly the types asked; omitted types are never asked and the count is kept from the others', () => {
    const asked = new Set<string>();
    const omit = ['is there', 'how many'];
    for (let i = 0; i < 300; i++) {
      const scene = sampleImageScene(Prng.fromKey('omit', i), { maxObjects: 2 });
      for (const qa of imageQuestions(scene, Prng.fromKey('omit-q', i), 4, { patterns: true })) asked.add(questionType(qa.question));
      const kept = imageQuestions(scene, Prng.fromKey('omit-q', i), 4, { patterns: true, omitTypes: omit });
      expect(kept).toHaveLength(4);
      for (const qa of kept) {
        expect(omit).not.toContain(questionType(qa.question));
        if (!qa.question.includes('background') || qa.question.includes('color')) expect({ q: qa.question, a: solveImage(qa.question, scene) }).toEqual({ q: qa.question, a: qa.answer });
      }
      const video = sampleVideoScene(Prng.fromKey('omit-video', i), { frames: 8 });
      for (const qa of videoQuestions(video, Prng.fromKey('omit-video-q', i), 4)) asked.add(questionType(qa.question));
      for (const qa of videoQuestions(video, Prng.fromKey('omit-video-q', i), 4, { omitTypes: ['what color', 'is the'] })) expect(['what color', 'is the']).not.toContain(questionType(qa.question));
    }
    expect([...asked].sort()).toEqual([...QUESTION_TYPES].sort());
    expect(resolveSyntheticOptions({ omitQuestionTypes: ['is there', 'is there'] }).omitQuestionTypes).toEqual(['is there']);
    expect(resolveSyntheticOptions({}).omitQuestionTypes).toEqual([]);
    expect(() => resolveSyntheticOptions({ omitQuestionTypes: ['is it'] })).toThrow(expect.objectContaining({ code: 'ERR_ARG', message: expect.stringContaining("'is there'") }));
    expect(() => resolveSyntheticOptions({ omitQuestionTypes: 'is there' as never })).toThrow(expect.objectContaining({ code: 'ERR_ARG' }));
  });

  test('video answers are right', () => {
    const kinds = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const scene = sampleVideoScene(Prng.fromKey('vqa-video', i), { frames: 8 });
      const qas = videoQuestions(scene, Prng.fromKey('vqa-video-q', i), 4);
      expect(qas.length).toBeGreaterThanOrEqual(3);
      for (const qa of qas) {
        expect({ q: qa.question, a: solveVideo(qa.question, scene) }).toEqual({ q: qa.question, a: qa.answer });
        kinds.add(qa.kind);
      }
    }
    expect([...kinds].sort()).toEqual(['background', 'color', 'count', 'direction', 'motion', 'shape', 'yesno']);
  });

  test('simulated annotators mostly agree, deterministically, with answers of the same kind', () => {
    const qa = { question: 'what color is the circle?', answer: 'red', kind: 'color' as const };
    let agree = 0;
    for (let i = 0; i < 500; i++) {
      const a = simulateAnswers(qa, Prng.fromKey('ann', i));
      expect(a).toEqual(simulateAnswers(qa, Prng.fromKey('ann', i)));
      expect(a).toHaveLength(10);
      const right = a.filter((x) => x === 'red').length;
      expect(right).toBeGreaterThanOrEqual(8);
      for (const x of a) expect(ANSWERS_BY_KIND.color).toContain(x);
      agree += right;
    }
    expect(agree / 5000).toBeGreaterThan(0.93);
  });
});
