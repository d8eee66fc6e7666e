"""The "Check your understanding" questions of chapters 1-9, and their HTML.

Each question is predict-then-check: the reader picks the option they
predict and opens it. Every option, right or wrong, opens an explanation.
The HTML is plain ``<details>``/``<summary>``: it needs no JavaScript, no
kernel and no network, and renders the same on the static site, in
JupyterLab, VS Code and Colab. ``tools/add_kit_cells.py`` writes one markdown
cell per question into each chapter.
"""

from __future__ import annotations

import html

# chapter -> list of (question, [(option, is_right, explanation), ...])
QUIZZES: dict[int, list[tuple[str, list[tuple[str, bool, str]]]]] = {
    1: [
        (
            "A 64 × 64 colour image becomes a table of pixel records. What shape "
            "does ca.to_tokens give it?",
            [
                (
                    "(64, 64, 3)",
                    False,
                    "That is the image itself: to_tokens flattens the rows and columns into one axis of pixels.",
                ),
                (
                    "(4096, 3)",
                    True,
                    "One row per pixel, N = H W = 4096, and one column per channel.",
                ),
                (
                    "(3, 4096)",
                    False,
                    "Transposed: the records are the rows, so pixels come first and channels second.",
                ),
                (
                    "(64, 192)",
                    False,
                    "That flattens only the columns and channels; a record is one pixel, not one image row.",
                ),
            ],
        ),
        (
            "In a 64-pixel-wide image, which token n is the pixel at row 2, column 5?",
            [
                ("133", True, "Row-major order: n = row W + col = 2 × 64 + 5."),
                (
                    "325",
                    False,
                    "Row and column swapped: 5 × 64 + 2 would be row 5, column 2.",
                ),
                (
                    "7",
                    False,
                    "Adding row and column ignores the width: every row holds W = 64 tokens.",
                ),
                ("134", False, "Off by one: tokens count from 0, like numpy indices."),
            ],
        ),
        (
            "For a reddish query colour, which similarity rates a bright white key "
            "pixel above a darker red one?",
            [
                (
                    "the dot product",
                    True,
                    "The dot product grows with the key's length, and white is long in every channel.",
                ),
                (
                    "cosine",
                    False,
                    "Cosine ignores length and compares only directions: the red key points the same way as the query.",
                ),
                (
                    "negative squared distance",
                    False,
                    "It subtracts |x_j|², so it penalises exactly the bright keys and prefers the nearby red one.",
                ),
            ],
        ),
        (
            "Exact lookup on the photo: how many key pixels have exactly the colour "
            "of a typical query pixel?",
            [
                (
                    "only the query pixel itself",
                    True,
                    "A photo has almost no two pixels of exactly the same colour, so exact lookup finds itself: we need similarity, not equality.",
                ),
                (
                    "dozens",
                    False,
                    "That happens in the synthetic scenes with flat colours, not in a photo.",
                ),
                (
                    "none",
                    False,
                    "The query pixel is also a key pixel, and it always matches itself.",
                ),
            ],
        ),
    ],
    2: [
        (
            "Top-1 retrieval with the negative squared distance, where queries, keys "
            "and values are the photo's colours. What comes out?",
            [
                (
                    "the photo itself",
                    True,
                    "Each pixel's best key has its own colour (distance 0): usually the pixel itself, "
                    "for a few dozen pixels a twin of the same colour, so the photo comes back "
                    "unchanged, up to rounding.",
                ),
                (
                    "a blurred photo",
                    False,
                    "There are no positions in the scores: nothing makes neighbours special.",
                ),
                (
                    "the mean colour everywhere",
                    False,
                    "That is k = N: every pixel averages all key pixels.",
                ),
            ],
        ),
        (
            "The query moves a tiny step along a line. What is the derivative of the "
            "top-k output with respect to the query?",
            [
                (
                    "zero almost everywhere",
                    True,
                    "The same k keys win after a small move, so the output does not change; at the few boundaries it jumps.",
                ),
                (
                    "1 / k",
                    False,
                    "The output only changes when the set of winners changes, not in proportion to the move.",
                ),
                (
                    "undefined everywhere",
                    False,
                    "It is undefined only at the jumps; between them it is exactly zero.",
                ),
            ],
        ),
        (
            "Two key pixels tie for the k-th place. Which one does ca.top_k_indices keep?",
            [
                (
                    "the one with the lower index",
                    True,
                    "Ties go to the key stored first, so the result depends on the order of the table.",
                ),
                (
                    "a random one",
                    False,
                    "The rule is deterministic: the same input always gives the same set.",
                ),
                (
                    "the one nearest the query pixel",
                    False,
                    "Positions play no part in the scores or the tie rule.",
                ),
            ],
        ),
        (
            "Top-k with k = N, the number of pixels. What does every pixel get?",
            [
                (
                    "the mean colour of the image",
                    True,
                    "Every query keeps every key: all outputs are the same average.",
                ),
                (
                    "its own colour",
                    False,
                    "That is k = 1, where each pixel keeps only its nearest key, itself.",
                ),
                (
                    "the colour of the most similar pixel",
                    False,
                    "That is k = 1 too; with k = N all keys count equally.",
                ),
            ],
        ),
    ],
    3: [
        (
            "What happens to softmax(s / T) as the temperature T goes to 0?",
            [
                (
                    "it becomes top-1: all weight on the best key",
                    True,
                    "Dividing by a tiny T magnifies every gap between scores; the largest takes everything.",
                ),
                (
                    "it becomes uniform",
                    False,
                    "That is T going to infinity: all s / T shrink to 0.",
                ),
                (
                    "nothing changes",
                    False,
                    "Only s / T enters, so T matters as much as the scores do.",
                ),
            ],
        ),
        (
            "You add 10 to every score. What happens to the weights?",
            [
                (
                    "nothing",
                    True,
                    "Every e^(s_j / T) gets the same factor, which cancels in the normalisation.",
                ),
                (
                    "they get sharper",
                    False,
                    "Multiplying the scores sharpens the weights; adding a constant does not.",
                ),
                (
                    "they get flatter",
                    False,
                    "A constant shift changes no gap between scores.",
                ),
            ],
        ),
        (
            "The entropy of the weights over N key pixels, at a very high temperature?",
            [
                (
                    "log N",
                    True,
                    "Uniform weights 1 / N have the largest possible entropy, log N.",
                ),
                ("0", False, "Entropy 0 is one-hot weights: a very low temperature."),
                (
                    "N",
                    False,
                    "Entropy is measured in nats here; the effective number of keys, exp(H), is N.",
                ),
            ],
        ),
        (
            "Soft retrieval at T = 0.05. Its derivative with respect to the query is",
            [
                (
                    "non-zero and smooth",
                    True,
                    "Every key has a weight that moves a little with the query: gradient descent has something to follow.",
                ),
                (
                    "zero almost everywhere",
                    False,
                    "That is hard retrieval; soft weights change at every step.",
                ),
                (
                    "infinite at the jumps",
                    False,
                    "There are no jumps: the output is a smooth function of the query.",
                ),
            ],
        ),
    ],
    4: [
        (
            "Why are the scores divided by √d?",
            [
                (
                    "to keep their spread near 1 as d grows",
                    True,
                    "A dot product of d random terms has variance growing with d. Without the scaling, "
                    "as d grows, the softmax of a freshly initialised layer saturates and the "
                    "gradient that reaches the scores shrinks (its Jacobian to 0.35 of the scaled "
                    "one at d = 4096 in this chapter's table).",
                ),
                (
                    "to make the weights sum to one",
                    False,
                    "The softmax already does that, whatever the scale.",
                ),
                (
                    "to turn the dot product into a distance",
                    False,
                    "Scaling changes size, not kind: it is still a dot product.",
                ),
            ],
        ),
        (
            "A layer without positions gets an input whose pixels are shuffled. Its output is",
            [
                (
                    "the old output, shuffled the same way",
                    True,
                    "Without positions the layer is permutation equivariant.",
                ),
                (
                    "unchanged",
                    False,
                    "An output unchanged by any shuffle would make the layer permutation invariant. "
                    "It is not: each output pixel still follows its own input pixel, so the "
                    "output is shuffled the same way (permutation equivariant).",
                ),
                (
                    "something new",
                    False,
                    "Nothing in the layer knows where a pixel is, so only the order changes.",
                ),
            ],
        ),
        (
            "Two heads with d = 8 in total, against one head with d = 8: how many parameters?",
            [
                (
                    "the same",
                    True,
                    "Heads split the columns of W_Q, W_K, W_V between them; only the number of weight maps grows.",
                ),
                (
                    "twice as many",
                    False,
                    "That would be two heads of width 8 each, d = 16 in total.",
                ),
                (
                    "half as many",
                    False,
                    "The matrices keep their size; they are only read in slices.",
                ),
            ],
        ),
    ],
    5: [
        (
            "Four stacked 3 × 3 layers: what is the side of the theoretical receptive field?",
            [
                ("9", True, "L (K - 1) + 1 = 4 × 2 + 1."),
                (
                    "12",
                    False,
                    "L K counts the overlap of neighbouring windows twice: each layer adds K - 1.",
                ),
                ("8", False, "Off by one: the centre pixel itself counts too."),
            ],
        ),
        (
            "For a stack of non-negative kernels (box filters), how does the effective "
            "receptive field's standard deviation grow with the depth L?",
            [
                (
                    "like √L",
                    True,
                    "Each layer adds a fixed variance, like steps of a random walk.",
                ),
                (
                    "like L",
                    False,
                    "That is the theoretical receptive field; most of the weight stays near the centre.",
                ),
                (
                    "it stays the same",
                    False,
                    "Each layer spreads the map further; it only grows slowly.",
                ),
            ],
        ),
        (
            "ca.conv2d, like PyTorch's conv2d, computes",
            [
                (
                    "a cross-correlation: no flip of the kernel",
                    True,
                    "Weight w at offset (a, b) reads the key pixel at (r + a, c + b).",
                ),
                (
                    "the mathematical convolution, with a flip",
                    False,
                    "That would be ca.conv2d(image, kernel[::-1, ::-1]).",
                ),
                (
                    "either, it makes no difference",
                    False,
                    "It makes no difference only for kernels symmetric under a half turn; a Sobel or shift kernel changes.",
                ),
            ],
        ),
        (
            "Two stacked linear convolutions with nothing in between equal",
            [
                (
                    "one convolution with a larger kernel",
                    True,
                    "The combined kernel is the effective receptive field: depth only pays with a nonlinearity.",
                ),
                (
                    "something no single convolution can do",
                    False,
                    "Linear maps compose into a linear map of the same kind.",
                ),
                (
                    "the larger of the two kernels",
                    False,
                    "The kernels combine: two 3 × 3 boxes give a 5 × 5 pyramid.",
                ),
            ],
        ),
    ],
    6: [
        (
            "A 3 × 3 convolution, 16 channels in and out. The image grows from 32 × 32 to "
            "64 × 64. Its parameters",
            [
                (
                    "stay the same",
                    True,
                    "The kernel does not depend on the image size; only the cost grows, 4 times.",
                ),
                (
                    "grow 4 times",
                    False,
                    "The multiply-adds grow 4 times, not the parameters.",
                ),
                (
                    "grow 16 times",
                    False,
                    "Nothing about a convolution grows with the square of the pixel count.",
                ),
            ],
        ),
        (
            "Full attention on the same images: the N² part of its multiply-adds grows by",
            [
                (
                    "16 times",
                    True,
                    "Doubling the side makes N four times larger and N² sixteen times.",
                ),
                ("4 times", False, "That is the part linear in N, the projections."),
                (
                    "2 times",
                    False,
                    "N counts pixels, which grow with the square of the side.",
                ),
            ],
        ),
        (
            "Which padding keeps a convolution exactly equivariant to circular shifts?",
            [
                (
                    "circular",
                    True,
                    "It wraps around as the shift does, so every pixel keeps its neighbours.",
                ),
                (
                    "zeros",
                    False,
                    "Pixels shifted across the border meet zeros on one side and image on the other.",
                ),
                (
                    "reflect",
                    False,
                    "Mirroring is not wrapping: near the border the neighbours differ after the shift.",
                ),
            ],
        ),
        (
            "A task copies the pixel D columns to the right. How many layers does "
            "attention with positions need, as D grows?",
            [
                (
                    "one, for every D",
                    True,
                    "Every query pixel reads every key pixel in one layer; a position term can pick the right one.",
                ),
                (
                    "about D / 2, like 5 × 5 convolutions",
                    False,
                    "That is the convolution stack, which must reach D columns layer by layer.",
                ),
                ("D", False, "Attention has no reach limit per layer."),
            ],
        ),
    ],
    7: [
        (
            "How many heads does the construction of this chapter need for a 3 × 3 kernel?",
            [
                ("9", True, "One head per kernel offset, K² of them."),
                (
                    "3",
                    False,
                    "One per row of the kernel is not enough: each head reads one offset.",
                ),
                (
                    "1",
                    False,
                    "One head applies one matrix W_V W_O to everything it reads. It can reproduce a "
                    "non-negative single-channel kernel, but a general kernel has a different "
                    "matrix at each offset, so the construction uses one head per offset.",
                ),
            ],
        ),
        (
            "As α grows, the weights of one head",
            [
                (
                    "concentrate on the key pixel at its offset",
                    True,
                    "The quadratic positional score has its peak at the offset, and α sharpens it.",
                ),
                (
                    "spread out evenly",
                    False,
                    "That is small α: the scores are nearly flat.",
                ),
                ("go to zero everywhere", False, "Softmax weights always sum to one."),
            ],
        ),
        (
            "Local attention over a K × K window: how many weights per query pixel?",
            [
                (
                    "K²",
                    True,
                    "One weight per key pixel of the window, whatever the image size.",
                ),
                (
                    "N",
                    False,
                    "That is full attention, one weight per pixel of the image.",
                ),
                ("K", False, "The window is two-dimensional, K × K pixels."),
            ],
        ),
    ],
    8: [
        (
            "The image side doubles. The memory of full attention's weights grows by",
            [
                (
                    "16 times",
                    True,
                    "N × N numbers, and N grows with the square of the side: the fourth power.",
                ),
                (
                    "4 times",
                    False,
                    "That is the growth of N, the number of pixels; the weights are N × N.",
                ),
                ("2 times", False, "Both N and the weights grow faster than the side."),
            ],
        ),
        (
            "Blockwise (online-softmax) attention returns",
            [
                (
                    "the same output as full attention, up to rounding",
                    True,
                    "It is an exact rearrangement, not an approximation.",
                ),
                (
                    "an approximation that improves with the block size",
                    False,
                    "No approximation is made; the block size changes memory and speed only.",
                ),
                (
                    "the same output only if the block size divides N",
                    False,
                    "The last block may be shorter; the result is the same.",
                ),
            ],
        ),
        (
            "When does the rescaling factor e^(m_old - m_new) differ from 1?",
            [
                (
                    "when the running maximum increases",
                    True,
                    "Then the old sums were measured against a smaller reference and must be shrunk.",
                ),
                (
                    "at every block",
                    False,
                    "If the new block holds no larger score, m does not change and the factor is 1.",
                ),
                (
                    "never: it can be dropped",
                    False,
                    "Dropping it is right only when the maximum is in the first block.",
                ),
            ],
        ),
        (
            "The working memory of blockwise attention grows with",
            [
                (
                    "B² + N d_v: one B × B tile plus the output",
                    True,
                    "One tile of a query block by a key block at a time, plus the "
                    "N x d_v output; at most O(NB).",
                ),
                ("N²", False, "That is full attention, which stores every weight."),
                (
                    "the block size only",
                    False,
                    "The output alone is N x d_v; the block size only sets the tile.",
                ),
            ],
        ),
    ],
    9: [
        (
            "One fixed shuffle of the 64 pixel positions, the same for every image. "
            "For which model is it exactly harmless: it can learn the shuffled "
            "digits just as well as the centred ones, whatever the data?",
            [
                (
                    "the MLP's",
                    True,
                    "It has one weight per pixel and no notion of neighbours: the shuffle "
                    "only reorders the rows of its first weight matrix.",
                ),
                (
                    "the convolution's",
                    False,
                    "Its 3 × 3 windows now read pixels that were scattered over the "
                    "digit, so its assumption of locality is wrong.",
                ),
                (
                    "the attention model's (2 × 2 patches with positions)",
                    False,
                    "Not exactly: each patch now holds four scattered pixels, so the "
                    "shuffle changes what a token holds, not only the order of the "
                    "tokens. (Measured, its accuracy changes by less than the spread of "
                    "seeds.)",
                ),
                (
                    "none of them",
                    False,
                    "No information is lost, and the MLP never used the pixel order: "
                    "it learns the shuffled digits as well as the centred ones.",
                ),
            ],
        ),
        (
            "On the same-colour strips, why can the convolution not solve the task, "
            "however many strips it is given?",
            [
                (
                    "no feature of its last layer reads both coloured pixels",
                    True,
                    "The mean over positions then adds a score for the left pixel and "
                    "one for the right, and such a sum cannot say 'equal' for every "
                    "pair of colours: with six colours the best such sum is right on 0.75 "
                    "of the strips, however many it sees.",
                ),
                (
                    "it is trained on too few strips",
                    False,
                    "Ten times more strips lift it only a little, and no number of "
                    "strips lifts it past the cap of 0.75; the MLP, given enough of the "
                    "same strips, solves the task.",
                ),
                (
                    "its learning rate is badly chosen",
                    False,
                    "It is chosen from the same grid on validation strips as the "
                    "others'; no rate makes a window reach the other pixel.",
                ),
                (
                    "it cannot see colour",
                    False,
                    "It gets the three RGB channels; what it lacks is a window wide "
                    "enough to compare the two colours.",
                ),
            ],
        ),
        (
            "The trained attention model puts a little less of a query patch's "
            "weight on its 3 × 3 neighbourhood than a uniform map would. What does "
            "that say?",
            [
                (
                    "it reaches its accuracy without learning to look near",
                    True,
                    "Nothing in the architecture prefers neighbours, and training on "
                    "1,097 digits did not put that preference there.",
                ),
                (
                    "it has learned locality, like a convolution",
                    False,
                    "Learned locality would put more weight near the query than a "
                    "uniform map does, not less.",
                ),
                (
                    "its attention maps are uniform",
                    False,
                    "They are not: each query patch picks out a few patches, some "
                    "next to it and some across the digit.",
                ),
                (
                    "training did not change the attention weights",
                    False,
                    "The untrained model's share is about the uniform one; training "
                    "moved it, only not towards the neighbours.",
                ),
            ],
        ),
        (
            "Why is the learning rate chosen on validation images, not on the test "
            "images?",
            [
                (
                    "a choice made on the test images makes the test score optimistic",
                    True,
                    "The rate that scores best on the test set is partly lucky on "
                    "those images; the test score then no longer measures new data.",
                ),
                (
                    "the validation set is larger",
                    False,
                    "It is smaller: 300 images against 400 test images.",
                ),
                (
                    "it makes training faster",
                    False,
                    "Every run trains on the training pool with the same step budget "
                    "either way; only the images used for choosing differ.",
                ),
                (
                    "the test images are a different kind of digit",
                    False,
                    "Both are drawn by one shuffle from the same 1,797 digits; the "
                    "point is only that the test images are not used for choosing.",
                ),
            ],
        ),
    ],
}

HEADING = (
    "## Check your understanding\n\n"
    "Predict first, then open the answer you predicted: every option says "
    "whether it is right, and why. No code needed."
)


def render(chapter: int, number: int) -> str:
    """The markdown cell (raw HTML, no blank line) of one question."""
    question, options = QUIZZES[chapter][number - 1]
    parts = [
        f'<div class="quiz" id="quiz-{chapter:02d}-{number}">',
        f"<p><strong>Question {chapter}.{number}.</strong> {html.escape(question)}</p>",
    ]
    for letter, (text, right, why) in zip("ABCDE", options, strict=False):
        verdict = "Right." if right else "Not quite."
        parts.append(
            f'<details class="quiz-option"><summary>{letter}. {html.escape(text)}'
            f"</summary><p><strong>{verdict}</strong> {html.escape(why)}</p></details>"
        )
    parts.append("</div>")
    return "\n".join(parts)


def count() -> int:
    return sum(len(q) for q in QUIZZES.values())
