"""torchvision's published facts about each classifier's default ImageNet weights, copied from
the weights' metadata so that the zoo is listed without importing torch.

tests/test_zoo_numbers.py checks every row against torchvision's metadata (and prints the table
afresh when run as a script), so the copy cannot drift from the installed torchvision.
"""
from __future__ import annotations

from typing import NamedTuple

NORMALISATIONS = {  # mean and standard deviation per channel
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "half": ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
}


class DefaultWeights(NamedTuple):
    """One model's default weights: their name, preprocessing and reference numbers
    (``gflops`` is torchvision's ``_ops``, in fact GMACs)."""

    weights: str
    resize_size: int
    crop_size: int
    normalisation: str  # a key of NORMALISATIONS
    interpolation: str
    num_params: int
    gflops: float
    acc1: float
    acc5: float


# weights, resize, crop, normalisation, interpolation, params, GMACs, top-1 %, top-5 %
DEFAULT_WEIGHTS: dict[str, DefaultWeights] = {
    'alexnet': DefaultWeights('AlexNet_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 61100840, 0.714, 56.522, 79.066),
    'convnext_base': DefaultWeights('ConvNeXt_Base_Weights.IMAGENET1K_V1', 232, 224, 'imagenet', 'bilinear', 88591464, 15.355, 84.062, 96.87),
    'convnext_large': DefaultWeights('ConvNeXt_Large_Weights.IMAGENET1K_V1', 232, 224, 'imagenet', 'bilinear', 197767336, 34.361, 84.414, 96.976),
    'convnext_small': DefaultWeights('ConvNeXt_Small_Weights.IMAGENET1K_V1', 230, 224, 'imagenet', 'bilinear', 50223688, 8.684, 83.616, 96.65),
    'convnext_tiny': DefaultWeights('ConvNeXt_Tiny_Weights.IMAGENET1K_V1', 236, 224, 'imagenet', 'bilinear', 28589128, 4.456, 82.52, 96.146),
    'densenet121': DefaultWeights('DenseNet121_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 7978856, 2.834, 74.434, 91.972),
    'densenet161': DefaultWeights('DenseNet161_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 28681000, 7.728, 77.138, 93.56),
    'densenet169': DefaultWeights('DenseNet169_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 14149480, 3.36, 75.6, 92.806),
    'densenet201': DefaultWeights('DenseNet201_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 20013928, 4.291, 76.896, 93.37),
    'efficientnet_b0': DefaultWeights('EfficientNet_B0_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bicubic', 5288548, 0.386, 77.692, 93.532),
    'efficientnet_b1': DefaultWeights('EfficientNet_B1_Weights.IMAGENET1K_V2', 255, 240, 'imagenet', 'bilinear', 7794184, 0.687, 79.838, 94.934),
    'efficientnet_b2': DefaultWeights('EfficientNet_B2_Weights.IMAGENET1K_V1', 288, 288, 'imagenet', 'bicubic', 9109994, 1.088, 80.608, 95.31),
    'efficientnet_b3': DefaultWeights('EfficientNet_B3_Weights.IMAGENET1K_V1', 320, 300, 'imagenet', 'bicubic', 12233232, 1.827, 82.008, 96.054),
    'efficientnet_b4': DefaultWeights('EfficientNet_B4_Weights.IMAGENET1K_V1', 384, 380, 'imagenet', 'bicubic', 19341616, 4.394, 83.384, 96.594),
    'efficientnet_b5': DefaultWeights('EfficientNet_B5_Weights.IMAGENET1K_V1', 456, 456, 'imagenet', 'bicubic', 30389784, 10.266, 83.444, 96.628),
    'efficientnet_b6': DefaultWeights('EfficientNet_B6_Weights.IMAGENET1K_V1', 528, 528, 'imagenet', 'bicubic', 43040704, 19.068, 84.008, 96.916),
    'efficientnet_b7': DefaultWeights('EfficientNet_B7_Weights.IMAGENET1K_V1', 600, 600, 'imagenet', 'bicubic', 66347960, 37.746, 84.122, 96.908),
    'efficientnet_v2_l': DefaultWeights('EfficientNet_V2_L_Weights.IMAGENET1K_V1', 480, 480, 'half', 'bicubic', 118515272, 56.08, 85.808, 97.788),
    'efficientnet_v2_m': DefaultWeights('EfficientNet_V2_M_Weights.IMAGENET1K_V1', 480, 480, 'imagenet', 'bilinear', 54139356, 24.582, 85.112, 97.156),
    'efficientnet_v2_s': DefaultWeights('EfficientNet_V2_S_Weights.IMAGENET1K_V1', 384, 384, 'imagenet', 'bilinear', 21458488, 8.366, 84.228, 96.878),
    'googlenet': DefaultWeights('GoogLeNet_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 6624904, 1.498, 69.778, 89.53),
    'inception_v3': DefaultWeights('Inception_V3_Weights.IMAGENET1K_V1', 342, 299, 'imagenet', 'bilinear', 27161264, 5.713, 77.294, 93.45),
    'maxvit_t': DefaultWeights('MaxVit_T_Weights.IMAGENET1K_V1', 224, 224, 'imagenet', 'bicubic', 30919624, 5.558, 83.7, 96.722),
    'mnasnet0_5': DefaultWeights('MNASNet0_5_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 2218512, 0.104, 67.734, 87.49),
    'mnasnet0_75': DefaultWeights('MNASNet0_75_Weights.IMAGENET1K_V1', 232, 224, 'imagenet', 'bilinear', 3170208, 0.215, 71.18, 90.496),
    'mnasnet1_0': DefaultWeights('MNASNet1_0_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 4383312, 0.314, 73.456, 91.51),
    'mnasnet1_3': DefaultWeights('MNASNet1_3_Weights.IMAGENET1K_V1', 232, 224, 'imagenet', 'bilinear', 6282256, 0.526, 76.506, 93.522),
    'mobilenet_v2': DefaultWeights('MobileNet_V2_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 3504872, 0.301, 72.154, 90.822),
    'mobilenet_v3_large': DefaultWeights('MobileNet_V3_Large_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 5483032, 0.217, 75.274, 92.566),
    'mobilenet_v3_small': DefaultWeights('MobileNet_V3_Small_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 2542856, 0.057, 67.668, 87.402),
    'regnet_x_16gf': DefaultWeights('RegNet_X_16GF_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 54278536, 15.941, 82.716, 96.196),
    'regnet_x_1_6gf': DefaultWeights('RegNet_X_1_6GF_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 9190136, 1.603, 79.668, 94.922),
    'regnet_x_32gf': DefaultWeights('RegNet_X_32GF_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 107811560, 31.736, 83.014, 96.288),
    'regnet_x_3_2gf': DefaultWeights('RegNet_X_3_2GF_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 15296552, 3.177, 81.196, 95.43),
    'regnet_x_400mf': DefaultWeights('RegNet_X_400MF_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 5495976, 0.414, 74.864, 92.322),
    'regnet_x_800mf': DefaultWeights('RegNet_X_800MF_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 7259656, 0.8, 77.522, 93.826),
    'regnet_x_8gf': DefaultWeights('RegNet_X_8GF_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 39572648, 7.995, 81.682, 95.678),
    'regnet_y_128gf': DefaultWeights('RegNet_Y_128GF_Weights.IMAGENET1K_SWAG_E2E_V1', 384, 384, 'imagenet', 'bicubic', 644812894, 374.57, 88.228, 98.682),
    'regnet_y_16gf': DefaultWeights('RegNet_Y_16GF_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 83590140, 15.912, 82.886, 96.328),
    'regnet_y_1_6gf': DefaultWeights('RegNet_Y_1_6GF_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 11202430, 1.612, 80.876, 95.444),
    'regnet_y_32gf': DefaultWeights('RegNet_Y_32GF_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 145046770, 32.28, 83.368, 96.498),
    'regnet_y_3_2gf': DefaultWeights('RegNet_Y_3_2GF_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 19436338, 3.176, 81.982, 95.972),
    'regnet_y_400mf': DefaultWeights('RegNet_Y_400MF_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 4344144, 0.402, 75.804, 92.742),
    'regnet_y_800mf': DefaultWeights('RegNet_Y_800MF_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 6432512, 0.834, 78.828, 94.502),
    'regnet_y_8gf': DefaultWeights('RegNet_Y_8GF_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 39381472, 8.473, 82.828, 96.33),
    'resnet101': DefaultWeights('ResNet101_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 44549160, 7.801, 81.886, 95.78),
    'resnet152': DefaultWeights('ResNet152_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 60192808, 11.514, 82.284, 96.002),
    'resnet18': DefaultWeights('ResNet18_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 11689512, 1.814, 69.758, 89.078),
    'resnet34': DefaultWeights('ResNet34_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 21797672, 3.664, 73.314, 91.42),
    'resnet50': DefaultWeights('ResNet50_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 25557032, 4.089, 80.858, 95.434),
    'resnext101_32x8d': DefaultWeights('ResNeXt101_32X8D_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 88791336, 16.414, 82.834, 96.228),
    'resnext101_64x4d': DefaultWeights('ResNeXt101_64X4D_Weights.IMAGENET1K_V1', 232, 224, 'imagenet', 'bilinear', 83455272, 15.46, 83.246, 96.454),
    'resnext50_32x4d': DefaultWeights('ResNeXt50_32X4D_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 25028904, 4.23, 81.198, 95.34),
    'shufflenet_v2_x0_5': DefaultWeights('ShuffleNet_V2_X0_5_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 1366792, 0.04, 60.552, 81.746),
    'shufflenet_v2_x1_0': DefaultWeights('ShuffleNet_V2_X1_0_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 2278604, 0.145, 69.362, 88.316),
    'shufflenet_v2_x1_5': DefaultWeights('ShuffleNet_V2_X1_5_Weights.IMAGENET1K_V1', 232, 224, 'imagenet', 'bilinear', 3503624, 0.296, 72.996, 91.086),
    'shufflenet_v2_x2_0': DefaultWeights('ShuffleNet_V2_X2_0_Weights.IMAGENET1K_V1', 232, 224, 'imagenet', 'bilinear', 7393996, 0.583, 76.23, 93.006),
    'squeezenet1_0': DefaultWeights('SqueezeNet1_0_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 1248424, 0.819, 58.092, 80.42),
    'squeezenet1_1': DefaultWeights('SqueezeNet1_1_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 1235496, 0.349, 58.178, 80.624),
    'swin_b': DefaultWeights('Swin_B_Weights.IMAGENET1K_V1', 238, 224, 'imagenet', 'bicubic', 87768224, 15.431, 83.582, 96.64),
    'swin_s': DefaultWeights('Swin_S_Weights.IMAGENET1K_V1', 246, 224, 'imagenet', 'bicubic', 49606258, 8.741, 83.196, 96.36),
    'swin_t': DefaultWeights('Swin_T_Weights.IMAGENET1K_V1', 232, 224, 'imagenet', 'bicubic', 28288354, 4.491, 81.474, 95.776),
    'swin_v2_b': DefaultWeights('Swin_V2_B_Weights.IMAGENET1K_V1', 272, 256, 'imagenet', 'bicubic', 87930848, 20.325, 84.112, 96.864),
    'swin_v2_s': DefaultWeights('Swin_V2_S_Weights.IMAGENET1K_V1', 260, 256, 'imagenet', 'bicubic', 49737442, 11.546, 83.712, 96.816),
    'swin_v2_t': DefaultWeights('Swin_V2_T_Weights.IMAGENET1K_V1', 260, 256, 'imagenet', 'bicubic', 28351570, 5.94, 82.072, 96.132),
    'vgg11': DefaultWeights('VGG11_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 132863336, 7.609, 69.02, 88.628),
    'vgg11_bn': DefaultWeights('VGG11_BN_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 132868840, 7.609, 70.37, 89.81),
    'vgg13': DefaultWeights('VGG13_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 133047848, 11.308, 69.928, 89.246),
    'vgg13_bn': DefaultWeights('VGG13_BN_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 133053736, 11.308, 71.586, 90.374),
    'vgg16': DefaultWeights('VGG16_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 138357544, 15.47, 71.592, 90.382),
    'vgg16_bn': DefaultWeights('VGG16_BN_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 138365992, 15.47, 73.36, 91.516),
    'vgg19': DefaultWeights('VGG19_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 143667240, 19.632, 72.376, 90.876),
    'vgg19_bn': DefaultWeights('VGG19_BN_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 143678248, 19.632, 74.218, 91.842),
    'vit_b_16': DefaultWeights('ViT_B_16_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 86567656, 17.564, 81.072, 95.318),
    'vit_b_32': DefaultWeights('ViT_B_32_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 88224232, 4.409, 75.912, 92.466),
    'vit_h_14': DefaultWeights('ViT_H_14_Weights.IMAGENET1K_SWAG_E2E_V1', 518, 518, 'imagenet', 'bicubic', 633470440, 1016.717, 88.552, 98.694),
    'vit_l_16': DefaultWeights('ViT_L_16_Weights.IMAGENET1K_V1', 242, 224, 'imagenet', 'bilinear', 304326632, 61.555, 79.662, 94.638),
    'vit_l_32': DefaultWeights('ViT_L_32_Weights.IMAGENET1K_V1', 256, 224, 'imagenet', 'bilinear', 306535400, 15.378, 76.972, 93.07),
    'wide_resnet101_2': DefaultWeights('Wide_ResNet101_2_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 126886696, 22.753, 82.51, 96.02),
    'wide_resnet50_2': DefaultWeights('Wide_ResNet50_2_Weights.IMAGENET1K_V2', 232, 224, 'imagenet', 'bilinear', 68883240, 11.398, 81.602, 95.758),
}
