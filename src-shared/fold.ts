/**
 * Text as people's searches and names compare it: lower case, and «ё» as «е» (people type
 * «Семен» for «Семён», «Счет» for «Счёт»).
 */
export function foldRu(s: string): string {
  return s.toLocaleLowerCase('ru').replace(/ё/g, 'е');
}
